import type { FastifyInstance } from 'fastify';
import { sendError } from './error-handler.js';
import { DomainError } from '../errors.js';

// The second line: what the official OpenAI client libraries add to every request, so a web page can
// use one against /v1/chat/completions.
const ALLOW_HEADERS = [
  'api-key, authorization, content-type, idempotency-key, x-request-id',
  'openai-organization, openai-project, user-agent, x-stainless-arch, x-stainless-helper-method, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout',
].join(', ');
const EXPOSE_HEADERS = 'ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after, x-request-id, idempotent-replayed, x-should-retry';

/**
 * CORS for the endpoints a browser may call with a publishable (conversation) key, and for no others.
 * A preflight carries no key, so it is answered for any origin; the real request is then held to the
 * key's allowed origins by the auth hook (403 from anywhere else).
 */
export function registerCors(app: FastifyInstance): void {
  const browserPaths = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (route.config?.auth === 'conversation') browserPaths.add(route.url);
  });

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || request.routeOptions.config.auth !== 'conversation') return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    reply.header('vary', 'Origin');
  });

  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    const origin = request.headers.origin;
    if (!origin || !browserPaths.has(path)) {
      return sendError(reply, new DomainError('not_found', 'unknown_endpoint', `No endpoint OPTIONS ${path}.`));
    }
    return reply
      .code(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600')
      .header('vary', 'Origin')
      .send();
  });
}

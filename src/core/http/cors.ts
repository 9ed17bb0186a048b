import type { FastifyInstance, FastifyReply } from 'fastify';
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
 * - A preflight carries no key, so it is answered for any origin, with the methods the path has.
 * - A conversation endpoint's answer is readable by the calling origin until an admin key or a
 *   session is admitted: from then on it carries no CORS headers at all (the dashboard is
 *   same-origin; an admin key never serves another site). A conversation key is held to its allowed
 *   origins by the auth hook, so data only ever reaches those; the refusal of any other origin (403)
 *   stays readable, so the widget can say why it does not work there.
 * - Admin endpoints never carry CORS headers.
 */
export function registerCors(app: FastifyInstance): void {
  const browserPaths = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (route.config?.auth !== 'conversation') return;
    const methods = browserPaths.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) if (method !== 'HEAD') methods.add(method);
    browserPaths.set(route.url, methods);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.auth !== 'conversation') return;
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (!origin) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-expose-headers', EXPOSE_HEADERS);
  });

  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!.replace(/\/+$/, '');
    const origin = request.headers.origin;
    const methods = browserPaths.get(path);
    if (!origin || !methods) {
      return sendError(reply, new DomainError('not_found', 'unknown_endpoint', `No endpoint OPTIONS ${path}.`));
    }
    return reply
      .code(204)
      .header('access-control-allow-origin', origin)
      .header('access-control-allow-methods', [...methods].join(', '))
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600')
      .header('vary', 'Origin')
      .send();
  });
}

/** An admin key or a session was admitted: its answers are for the same origin only. */
export function withdrawCors(reply: FastifyReply): void {
  reply.removeHeader('access-control-allow-origin');
  reply.removeHeader('access-control-expose-headers');
}

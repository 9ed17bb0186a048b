import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps, AuthKey, ServiceContext } from '../context.js';
import { authenticateKey } from '../auth/keys.js';
import { DomainError, forbidden, RateLimitedError, unauthenticated } from '../errors.js';
import { hitRateLimit, type RateLimitResult } from '../rate-limit.js';
import { visitorOf } from './visitor.js';
import { withdrawCors } from './cors.js';

/**
 * How a route authenticates:
 * - `none`: no key (sign-up, login, trying a bot); limited per IP.
 * - `admin`: an admin key or a dashboard session, in `api-key` or `Authorization: Bearer`.
 * - `conversation`: also a conversation key (limited to its bots and origins), in the same headers
 *   (`Authorization: Bearer` is what OpenAI clients send to /v1/chat/completions) or as the `api_key`
 *   body or query parameter, as the hosted API's conversation endpoints take it.
 */
export type AuthMode = 'none' | 'admin' | 'conversation';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
    idempotent?: boolean;
  }
  interface FastifyRequest {
    ctx: ServiceContext | null;
  }
}

function keyFromHeaders(request: FastifyRequest, mode: AuthMode): string | null {
  const header = request.headers['api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const authz = request.headers.authorization;
  if (authz) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (match) return match[1]!;
    // A page's own Authorization header (Basic, cookies' schemes) must not hide an api_key parameter.
    if (mode !== 'conversation') throw unauthenticated('The Authorization header must be "Bearer <key>".');
  }
  return null;
}

function setRateHeaders(reply: FastifyReply, r: RateLimitResult): void {
  reply.header('ratelimit-limit', String(r.limit));
  reply.header('ratelimit-remaining', String(r.remaining));
  reply.header('ratelimit-reset', String(r.resetSeconds));
}

/** Counts a request in `bucket`; `headers` says whether the RateLimit headers describe this bucket. */
async function limit(deps: AppDeps, reply: FastifyReply, bucket: string, max: number, headers = true): Promise<void> {
  if (!deps.config.RATE_LIMITS) return;
  const result = await hitRateLimit(deps.db, bucket, 60, max);
  if (headers || !result.allowed) setRateHeaders(reply, result);
  if (!result.allowed) throw new RateLimitedError('Too many requests; slow down and retry later.', result.resetSeconds);
}

/** The request's context; routes that require a key can rely on it being set. */
export function ctxOf(request: FastifyRequest): ServiceContext {
  if (!request.ctx) throw unauthenticated('An API key is required.', 'missing_api_key');
  return request.ctx;
}

/** A context for endpoints called without a key: the service fills in the account it creates or uses. */
export function anonymousCtx(deps: AppDeps, request: FastifyRequest): ServiceContext {
  return { ...deps, log: request.log as AppDeps['log'], accountId: '', actor: { type: 'anonymous', id: null }, key: null, requestId: String(request.id), ip: request.ip };
}

export function registerAuthHooks(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('ctx', null);

  const admit = async (request: FastifyRequest, reply: FastifyReply, raw: string, mode: AuthMode, fromParam: boolean) => {
    let key: AuthKey;
    try {
      key = await authenticateKey(deps.db, raw);
    } catch (err) {
      // Guessing keys costs a lookup each: such requests count against the caller's IP.
      if (err instanceof DomainError) await limit(deps, reply, `ip:${request.ip}`, deps.config.RATE_LIMIT_PER_IP);
      throw err;
    }
    if (key.scope !== 'conversation') withdrawCors(reply);
    if (mode === 'admin' && key.scope !== 'admin') {
      throw forbidden('A conversation key can only call the conversation endpoints; use an admin key.');
    }
    if (fromParam && key.scope !== 'conversation') {
      // URLs end up in proxies, browser history and Referer headers: only publishable keys may travel there.
      throw forbidden('Only a conversation key may be sent as the api_key parameter; send admin keys in the api-key header.', 'key_in_parameter');
    }
    checkOrigin(key, request.headers.origin);
    if (key.scope === 'conversation') {
      // A publishable key is shared by every visitor of a site: each visitor gets the key's budget, so
      // one busy page or one abuser does not shut the widget for everyone; a ceiling for the whole key
      // bounds what a copied key can cost its creator from many addresses.
      await limit(deps, reply, `key:${key.id}:v:${visitorOf(request.ip)}`, deps.config.RATE_LIMIT_PER_KEY);
      await limit(deps, reply, `key:${key.id}`, deps.config.RATE_LIMIT_PER_PUBLISHABLE_KEY, false);
    } else {
      await limit(deps, reply, `key:${key.id}`, deps.config.RATE_LIMIT_PER_KEY);
    }
    // Every later line of this request, the service's own included, names the account.
    request.log = request.log.child({ accountId: key.accountId });
    reply.log = request.log;
    request.ctx = {
      ...deps,
      log: request.log as AppDeps['log'],
      accountId: key.accountId,
      actor: { type: key.kind === 'session' ? 'session' : 'key', id: key.id },
      key,
      requestId: String(request.id),
      ip: request.ip,
    };
  };

  app.addHook('onRequest', async (request, reply) => {
    const mode = request.routeOptions.config.auth;
    if (!mode) return; // docs, health and unknown routes
    if (mode === 'none') return limit(deps, reply, `ip:${request.ip}`, deps.config.RATE_LIMIT_PER_IP);
    const raw = keyFromHeaders(request, mode);
    if (raw) return admit(request, reply, raw, mode, false);
    if (mode !== 'conversation') throw unauthenticated('An API key is required: send it in the api-key header.', 'missing_api_key');
  });

  // Conversation endpoints may carry the key as a parameter, readable once the body is parsed; still
  // before validation, so a caller without a key learns that first.
  app.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.config.auth !== 'conversation' || request.ctx) return;
    const fromBody = (request.body as { api_key?: unknown } | undefined)?.api_key;
    const fromQuery = (request.query as { api_key?: unknown } | undefined)?.api_key;
    const raw = typeof fromBody === 'string' ? fromBody : typeof fromQuery === 'string' ? fromQuery : null;
    if (!raw) throw unauthenticated('An API key is required: send api_key, the api-key header or Authorization: Bearer <key>.', 'missing_api_key');
    await admit(request, reply, raw, 'conversation', true);
  });
}

/** A publishable key with allowed origins works only from those origins when a browser calls. */
function checkOrigin(key: AuthKey, origin: string | undefined): void {
  if (key.scope !== 'conversation' || !key.allowedOrigins?.length || !origin) return;
  if (!key.allowedOrigins.includes(origin.toLowerCase())) {
    throw forbidden(`This key may not be used from origin ${origin}.`, 'origin_not_allowed');
  }
}

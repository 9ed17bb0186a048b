import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthenticated } from '../errors.js';

/**
 * Provider callbacks are verified on the exact bytes sent, so their routes keep the raw body: every
 * content type is read as a Buffer (within `bodyLimit`), in the plugin that calls this only; the rest
 * of the API still takes JSON alone.
 */
export function acceptRawBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  // The routes' own limit too, so that a 413 names this one rather than the app-wide default.
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}

export const rawBody = (req: FastifyRequest): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/** A callback whose signature does not hold: a 401, and why in the log (never the body). */
export function refuseCallback(req: FastifyRequest, provider: string, reason: string) {
  req.log.warn({ provider, reason, path: req.url.split('?')[0] }, 'provider callback refused');
  return unauthenticated('The request signature is missing or invalid.', 'invalid_signature');
}

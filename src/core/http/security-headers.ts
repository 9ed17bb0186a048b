import type { FastifyInstance } from 'fastify';

// The API and the dashboard use none of these browser features; a page served here that is ever
// tricked into asking for them is refused by the browser.
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()';

/** A year: long enough for browsers to remember, the common value for sites that have committed to https. */
const HSTS = 'max-age=31536000';

/**
 * Headers every response carries. Set before the route runs, so a route with other needs overrides
 * them (the widget script is loaded by other sites' pages and says `cross-origin` itself).
 * Strict-Transport-Security is sent only on a request that came over https (directly, or through a
 * trusted proxy's x-forwarded-proto): sent over plain http it is ignored, and a server reached by its
 * address on a local network must not pin itself to https.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', PERMISSIONS_POLICY);
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { webBundles, type Asset } from './bundles.js';

// The dashboard talks to its own host only: everything else is refused by the browser.
const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function sendAsset(request: FastifyRequest, reply: FastifyReply, file: Asset, cacheControl: string) {
  reply.header('content-type', file.type).header('etag', file.etag).header('cache-control', cacheControl).header('vary', 'Accept-Encoding');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

const escapeAttr = (s: string) => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

function appPage(entry: { script: string; styles: string[] }): string {
  const styles = entry.styles.map((s) => `<link rel="stylesheet" href="/app/assets/${escapeAttr(s)}">`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>sinth</title><link rel="icon" href="data:,">${styles}</head><body><div id="root"></div><script type="module" src="/app/assets/${escapeAttr(entry.script)}"></script></body></html>`;
}

/** The embeddable chat widget (/widget.js) and the creator dashboard (/app), built from web/. */
export function webRoutes() {
  return async (app: FastifyInstance) => {
    app.get('/widget.js', { schema: { hide: true } }, async (request, reply) => {
      const { widget } = await webBundles();
      // Loaded by other sites' pages: readable cross-origin, revalidated every few minutes.
      reply.header('cross-origin-resource-policy', 'cross-origin').header('access-control-allow-origin', '*');
      return sendAsset(request, reply, widget, 'public, max-age=300');
    });

    app.get('/app/assets/:name', { schema: { hide: true } }, async (request, reply) => {
      const { app: files } = await webBundles();
      const file = files.get((request.params as { name: string }).name);
      if (!file) return reply.code(404).header('content-type', 'text/plain').send('Not found');
      return sendAsset(request, reply, file, 'public, max-age=31536000, immutable');
    });

    const page = async (_request: FastifyRequest, reply: FastifyReply) => {
      const { appEntry } = await webBundles();
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', APP_CSP)
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .send(appPage(appEntry));
    };
    app.get('/app', { schema: { hide: true } }, page);
    app.get('/app/*', { schema: { hide: true } }, page);
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/app'));
  };
}

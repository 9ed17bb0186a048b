import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/** Headers of the inner response that describe the transport, not the content: the outer reply sets its own. */
const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/**
 * /docs, the API reference page (Scalar, served locally). Its renderer is a 4 MB script that costs
 * about 35 MB of memory once loaded, so it is loaded on the first visit, into a small app of its own
 * that requests are handed to, rather than at every start of every process.
 */
export function docsRoutes() {
  return async (app: FastifyInstance) => {
    let inner: Promise<FastifyInstance> | null = null;
    const load = () =>
      (inner ??= (async () => {
        const { default: scalar } = await import('@scalar/fastify-api-reference');
        const docs = Fastify({ logger: false });
        await docs.register(scalar, {
          routePrefix: '/docs',
          configuration: { url: '/openapi.json', withDefaultFonts: false, telemetry: false } as Record<string, unknown>,
        });
        await docs.ready();
        return docs;
      })().catch((err: unknown) => {
        inner = null; // a failed load is tried again on the next visit
        throw err;
      }));

    const serve = async (req: FastifyRequest, reply: FastifyReply) => {
      const docs = await load();
      const res = await docs.inject({ method: 'GET', url: req.url, headers: { accept: req.headers.accept ?? '*/*', 'if-none-match': req.headers['if-none-match'] ?? '' } });
      for (const [name, value] of Object.entries(res.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) reply.header(name, value);
      return reply.code(res.statusCode).send(res.rawPayload);
    };
    app.get('/docs', { schema: { hide: true } }, serve);
    app.get('/docs/*', { schema: { hide: true } }, serve);
  };
}

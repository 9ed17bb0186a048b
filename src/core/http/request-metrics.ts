import type { FastifyInstance } from 'fastify';
import { httpRequestDuration } from '../observability/metrics.js';

/** Every answered request into the latency histogram, labelled by route pattern so ids do not explode the series. */
export function registerRequestMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

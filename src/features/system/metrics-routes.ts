import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';
import { unauthenticated } from '../../core/errors.js';
import { collectClusterGauges } from '../../core/observability/cluster-gauges.js';
import { registry } from '../../core/observability/metrics.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte. */
function tokenMatches(given: string | undefined, expected: string): boolean {
  const match = given ? /^Bearer\s+(\S+)\s*$/i.exec(given) : null;
  return !!match && timingSafeEqual(digest(match[1]!), digest(expected));
}

/** GET /metrics: Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`. */
export function metricsRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
      const token = deps.config.METRICS_TOKEN;
      if (token && !tokenMatches(request.headers.authorization, token)) {
        throw unauthenticated('The metrics need "Authorization: Bearer <METRICS_TOKEN>".', 'invalid_metrics_token');
      }
      try {
        await collectClusterGauges(deps.db, deps.config.JOBS_SCHEMA);
      } catch (err) {
        // The process's own metrics are still worth serving while the database is away.
        request.log.warn({ err }, 'metrics: could not read the queues from the database');
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppDeps } from '../../core/context.js';
import { migrationsApplied } from '../../db/migrate.js';
import { describeRetrieval } from '../knowledge/retrieval-mode.js';

/** How long /readyz waits for the database before it answers "unreachable". */
const READY_TIMEOUT_MS = 3_000;

async function withTimeout(ms: number, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)));
  try {
    await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

export function systemRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/healthz', {
      schema: { tags: ['System'], summary: 'Liveness: the process answers', response: { 200: Health } },
      logLevel: 'warn',
    }, async () => ({ status: 'ok' as const }));

    app.get('/readyz', {
      schema: { tags: ['System'], summary: 'Readiness: database reachable and migrations applied; also reports the knowledge retrieval mode', response: { 200: Health, 503: Health } },
      logLevel: 'warn',
    }, async (_req, reply) => {
      const checks: Record<string, string> = {};
      try {
        // A database that does not answer (a dead host, a full pool) is as unready as one that refuses.
        await withTimeout(READY_TIMEOUT_MS, async () => {
          await sql`select 1`.execute(deps.db);
          checks.database = 'ok';
          checks.migrations = (await migrationsApplied(deps.db)) ? 'ok' : 'pending';
        });
      } catch {
        checks.database = 'unreachable';
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      // Informational: full-text retrieval is a working mode, so it never makes the server unready.
      checks.retrieval = describeRetrieval(deps.retrieval);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    });
  };
}

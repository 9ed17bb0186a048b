import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { AppDeps } from './core/context.js';
import { createLogger } from './core/logger.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { retryWhileDatabaseUnavailable } from './db/startup-retry.js';
import { PgBossQueue, type Role } from './jobs/queue.js';
import { allJobs } from './jobs/registry.js';
import { allLoops } from './jobs/loop-registry.js';
import { LoopRunner } from './jobs/loops.js';
import { drainTurns } from './engine/turn-queue.js';
import { createLlm } from './providers/llm/index.js';
import { createModeration } from './providers/moderation/index.js';
import { startRetrieval } from './features/knowledge/retrieval-mode.js';
import { startTracing } from './core/observability/tracing.js';
import { inFlightOf } from './core/http/in-flight.js';

export interface Server {
  app: FastifyInstance | null;
  deps: AppDeps;
  database: DatabaseHandle;
  queue: PgBossQueue;
  /** The address the API listens on (null for a worker). */
  url: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  role?: Role;
  log?: Logger;
  /** Reuse an open database (tests); otherwise opened from config. */
  database?: DatabaseHandle;
  listen?: boolean;
}

/** config → database → migrations → jobs → HTTP. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Server> {
  const role = opts.role ?? 'all';
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  // Before anything makes spans worth keeping.
  const tracing = await startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_SERVICE_NAME, log);
  const database =
    opts.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      vector: config.EMBEDDING_MODEL !== undefined,
      // The error carries its pg client (every connection parameter): log what happened, not that.
      onIdleError: (err) => log.warn({ code: (err as { code?: string }).code, reason: err.message }, 'database connection lost'),
    }));
  let queue: PgBossQueue | null = null;
  const loops = new LoopRunner(log);
  let app: FastifyInstance | null = null;
  try {
    // Everything that needs the database to start, tried again from the top while it cannot be reached.
    const prepared = await retryWhileDatabaseUnavailable(
      async () => {
        const applied = await migrateToLatest(database.db);
        if (applied.length) log.info({ migrations: applied }, 'migrations applied');
        // After the migrations: the vector table references knowledge_chunks.
        const { retrieval, embeddings } = await startRetrieval(config, database.db, log);
        const jobs = new PgBossQueue(database.pool, role, log, { schema: config.JOBS_SCHEMA, expireSeconds: config.JOB_EXPIRE_SECONDS });
        const deps: AppDeps = { db: database.db, config, jobs, log, llm: createLlm(config), moderation: createModeration(config), retrieval, embeddings };
        try {
          await jobs.start(allJobs(deps));
        } catch (err) {
          await jobs.abandon();
          throw err;
        }
        return { deps, jobs };
      },
      { waitMs: config.DATABASE_STARTUP_WAIT_MS, log },
    );
    const deps = prepared.deps;
    queue = prepared.jobs;
    if (role !== 'api') loops.start(allLoops(deps));

    let url: string | null = null;
    if (role !== 'worker') {
      app = await buildApp(deps);
      if (opts.listen !== false) {
        url = await app.listen({ port: config.PORT, host: config.HOST });
      } else {
        await app.ready();
      }
    }
    log.info({ role, database: database.kind, retrieval: deps.retrieval.mode, url }, 'sinth started');
    let closing: Promise<void> | null = null;
    const started = { app, queue };
    const close = () =>
      (closing ??= (async () => {
        // One grace period for everything under way, drained side by side: requests (then replies still
        // being made for clients that left), running jobs, loop ticks. Jobs still running at the end are
        // failed back to the queue, so another worker retries them.
        const deadline = Date.now() + config.SHUTDOWN_GRACE_MS;
        const left = () => Math.max(0, deadline - Date.now());
        await Promise.all([
          (async () => {
            if (started.app) await closeHttp(started.app, left());
            if (!(await drainTurns(left()))) log.warn('shutdown: some conversation turns did not finish in time');
          })(),
          // A tick that outlives the grace is left behind: the process exits and its leases run out.
          Promise.race([loops.stop(), new Promise((r) => setTimeout(r, left()).unref())]),
          started.queue.stop(true, left()),
        ]);
        if (!opts.database) await database.close();
        await tracing?.flush().catch((err: unknown) => log.warn({ err }, 'tracing: could not send the last spans'));
      })());
    return { app, deps, database, queue, url, close };
  } catch (err) {
    // Stop whatever started before the failure, so nothing keeps running on a closed database.
    await app?.close().catch(() => undefined);
    await loops.stop();
    await queue?.stop(false).catch(() => undefined);
    if (!opts.database) await database.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Stops accepting connections and waits for requests under way; past `graceMs` (a stream that does
 * not end, a client that never reads) the remaining connections are cut. A keep-alive connection
 * whose request finished is closed as soon as it is idle, not when the client's keep-alive ends.
 */
async function closeHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  const idle = setInterval(() => app.server.closeIdleConnections(), 50);
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(idle);
    clearTimeout(timer);
  }
  // Connections are gone, but a handler whose client gave up may still be working.
  await inFlightOf(app)?.drain(Math.max(0, deadline - Date.now()));
}

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { AppDeps } from './core/context.js';
import { createLogger } from './core/logger.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { PgBossQueue, type Role } from './jobs/queue.js';
import { allJobs } from './jobs/registry.js';
import { allLoops } from './jobs/loop-registry.js';
import { LoopRunner } from './jobs/loops.js';
import { drainTurns } from './engine/turn-queue.js';
import { createLlm } from './providers/llm/index.js';
import { createModeration } from './providers/moderation/index.js';
import { startRetrieval } from './features/knowledge/retrieval-mode.js';

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
  const database =
    opts.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      vector: config.EMBEDDING_MODEL !== undefined,
      onIdleError: (err) => log.warn({ err }, 'database connection lost'),
    }));
  let queue: PgBossQueue | null = null;
  const loops = new LoopRunner(log);
  let app: FastifyInstance | null = null;
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');
    // After the migrations: the vector table references knowledge_chunks.
    const { retrieval, embeddings } = await startRetrieval(config, database.db, log);
    queue = new PgBossQueue(database.pool, role, log, config.JOBS_SCHEMA);
    const deps: AppDeps = { db: database.db, config, jobs: queue, log, llm: createLlm(config), moderation: createModeration(config), retrieval, embeddings };
    await queue.start(allJobs(deps));
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
    log.info({ role, database: database.kind, retrieval: retrieval.mode, url }, 'sinth started');
    let closing: Promise<void> | null = null;
    const started = { app, queue };
    const close = () =>
      (closing ??= (async () => {
        await started.app?.close();
        // Replies still being made for clients that left: stored before the database goes.
        if (!(await drainTurns(config.SHUTDOWN_GRACE_MS))) log.warn('shutdown: some conversation turns did not finish in time');
        await loops.stop();
        await started.queue.stop();
        if (!opts.database) await database.close();
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

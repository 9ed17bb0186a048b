import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Extensions } from '@electric-sql/pglite';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  /** The one pool every query goes through: Kysely, pg-boss and raw SQL share it. */
  pool: pg.Pool;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

// Timestamps come back as Date and bigint counters as numbers (they stay far below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** PGlite: load pgvector too (it lengthens every start, so only when embeddings are configured). */
  vector?: boolean;
  onIdleError?: (err: Error) => void;
}

/**
 * Opens PostgreSQL when a URL is given, else PGlite in `<dataDir>/pgdata`. PGlite is reached through
 * exactly one pg pool of size 1: a second route into the same instance is not isolated from the first's
 * transactions, and writes would be lost.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    // A connection attempt that hangs (the server restarting, a dead host) fails after 10 s instead of
    // holding a request forever; the pool opens new connections by itself once the server is back.
    // A transaction left open by a connection the process lost track of (a restart halfway) would hold
    // its row locks forever: PostgreSQL ends such a session after a minute.
    // TCP keep-alive finds a connection whose server vanished without a word (a half-open line).
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, connectionTimeoutMillis: 10_000, idle_in_transaction_session_timeout: 60_000, keepAlive: true });
    pool.on('error', (err) => {
      // An idle client lost its connection; the pool replaces it on the next checkout.
      opts.onIdleError?.(err);
    });
    // pg-pool listens for a client's errors only while the client is idle in the pool: one checked
    // out (Kysely holds it between the statements of a transaction) whose server restarts would emit
    // an 'error' nobody handles, and the process would die. The statement under way fails on its
    // own, and the pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, pool, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = join(opts.dataDir, 'pgdata');
  mkdirSync(dirname(dir), { recursive: true });
  const release = lockDataDir(opts.dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const handle = await wrapPglite(await PGlite.create(dir, await pgliteOptions({ vector: opts.vector })));
    return { ...handle, close: () => handle.close().finally(release) };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * PGlite lives inside one process: a second process opening the same directory would silently lose
 * writes. A lock file with the owner's pid refuses that; a lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'pgdata.lock');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner && owner !== process.pid && isAlive(owner)) {
      throw new Error(`DATA_DIR ${dataDir} is in use by process ${owner}: the embedded database serves one process. Stop it, or set DATABASE_URL to share PostgreSQL between processes.`);
    }
    writeFileSync(file, String(process.pid));
  }
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite's options: the extensions the migrations use (pg_trgm for knowledge search), loaded with it,
 * and pgvector when asked (it is then enabled at start, see features/knowledge/embeddings-store.ts).
 */
export async function pgliteOptions(opts: { vector?: boolean | undefined } = {}): Promise<{ extensions: Extensions }> {
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  if (!opts.vector) return { extensions: { pg_trgm } };
  const { vector } = await import('@electric-sql/pglite-pgvector');
  return { extensions: { pg_trgm, vector } };
}

/** Wraps an already open PGlite instance (tests load one from a template) in the single pool. */
export async function wrapPglite(pglite: import('@electric-sql/pglite').PGlite): Promise<DatabaseHandle> {
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 } as pg.PoolConfig);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    kind: 'pglite',
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { openDatabase, type DatabaseHandle } from './database.js';
import { migrateToLatest } from './migrate.js';
import { prepareVectorStore } from '../features/knowledge/embeddings-store.js';
import { dependencyOrder, ident, listForeignKeys, listTables, qualified, tableKey, type ForeignKey, type Queryable, type Table } from './table-catalog.js';
import { copySequences, copyTable, useStableText } from './table-copy.js';
import { compareTables, type TableCheck } from './table-checksum.js';
import { copyQueues, JOB_QUEUE_TABLE, JOB_SCHEMA_INTERNAL, prepareJobSchema, schemaExists } from './job-schema-copy.js';

/** A refusal with a message an operator can act on; nothing was written to the target. */
export class MigrateDataError extends Error {}

export interface MigrateDataOptions {
  /** The DATA_DIR whose pgdata is moved. */
  dataDir: string;
  /** The PostgreSQL database that receives it: empty, or only migrated. */
  targetUrl: string;
  /** JOBS_SCHEMA: pg-boss's schema, on both sides. */
  jobsSchema: string;
  onProgress?: (message: string) => void;
}

export interface MigrateDataResult {
  checks: TableCheck[];
  ok: boolean;
}

/** Kysely's own bookkeeping: each side keeps its own (the target's is written by migrateToLatest). */
const MIGRATION_TABLES = ['public.schema_migrations', 'public.schema_migrations_lock'];
/** Made at start where pgvector exists (features/knowledge/embeddings-store.ts), not by a migration. */
const EMBEDDINGS = { schema: 'public', name: 'knowledge_embeddings' };

/**
 * Moves a whole PGlite data directory into PostgreSQL: the target gets the same schema (migrations,
 * pg-boss, pgvector when the source used it), then every table is copied in foreign-key order inside
 * one transaction, so a failure leaves the target without rows; then each table's count and checksum
 * are compared on both sides.
 */
export async function migrateData(opts: MigrateDataOptions): Promise<MigrateDataResult> {
  const say = opts.onProgress ?? (() => undefined);
  requireSourceDatabase(opts.dataDir);
  const target = new pg.Pool({ connectionString: opts.targetUrl, max: 2 });
  let source: DatabaseHandle | null = null;
  try {
    // Before anything is written to it, migrations included; and before the slow start of PGlite.
    await refuseForeignDatabase(target);
    await refuseNonEmptyTarget(target, opts.jobsSchema);
    source = await openSource(opts.dataDir);
    say('source: applying pending migrations (as a starting server would)');
    await migrateToLatest(source.db);
    say('target: applying migrations');
    const targetDb = new Kysely<any>({ dialect: new PostgresDialect({ pool: target }) });
    await migrateToLatest(targetDb);
    const withJobs = await schemaExists(source.pool, opts.jobsSchema);
    if (withJobs) {
      say(`target: preparing the job queue schema ${opts.jobsSchema}`);
      const versions = await prepareJobSchema(source.pool, target, opts.jobsSchema);
      if (versions.source !== versions.target) {
        throw new MigrateDataError(
          `the data directory's job queue (schema ${opts.jobsSchema}) is at pg-boss schema version ${versions.source}, this sinth's is ${versions.target}: ` +
            'start sinth once on DATA_DIR (without DATABASE_URL) so it upgrades its own database, then run migrate-data again',
        );
      }
    }
    if (await hasTable(source.pool, EMBEDDINGS)) {
      const state = await prepareVectorStore(targetDb);
      if (!state.available && (await hasRows(source.pool, EMBEDDINGS))) {
        throw new MigrateDataError(`the data directory holds passage vectors (knowledge_embeddings) but the target cannot store them (${state.reason}): install pgvector on the PostgreSQL server, or have the database owner run "create extension vector" in the target database, then run migrate-data again`);
      }
    }
    const plan = await planCopy(source.pool, target, opts.jobsSchema, withJobs);
    await copyAll(source.pool, target, plan, say);
    say('verifying: row counts and checksums on both sides');
    const checks = await compareBoth(source.pool, target, plan.verified);
    return { checks, ok: checks.every((c) => c.match) };
  } finally {
    await target.end().catch(() => undefined);
    await source?.close();
  }
}

/** Compares every table of a moved data directory with the PostgreSQL database it was moved to. */
export async function verifyData(opts: Omit<MigrateDataOptions, 'onProgress'>): Promise<MigrateDataResult> {
  const source = await openSource(opts.dataDir);
  const target = new pg.Pool({ connectionString: opts.targetUrl, max: 1 });
  try {
    const plan = await planCopy(source.pool, target, opts.jobsSchema, await schemaExists(source.pool, opts.jobsSchema));
    const checks = await compareBoth(source.pool, target, plan.verified);
    return { checks, ok: checks.every((c) => c.match) };
  } finally {
    await target.end().catch(() => undefined);
    await source.close();
  }
}

/**
 * Opens the data directory as the server would (taking its lock: a server running on it is refused),
 * with pgvector loaded when the database uses it, or its vector column cannot be read.
 */
async function openSource(dataDir: string): Promise<DatabaseHandle> {
  requireSourceDatabase(dataDir);
  const plain = await openDatabase({ dataDir }).catch((err: Error) => {
    if (!/in use by process/.test(err.message)) throw err;
    throw new MigrateDataError(`${err.message.replace(/:.*$/s, '')}: stop the server before moving its database`);
  });
  const { rows } = await plain.pool.query(`select 1 from pg_extension where extname = 'vector'`);
  if (!rows.length) return plain;
  await plain.close();
  return openDatabase({ dataDir, vector: true });
}

/** openDatabase would make a new, empty database where there is none. */
function requireSourceDatabase(dataDir: string): void {
  if (!existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))) {
    throw new MigrateDataError(`no database in ${join(dataDir, 'pgdata')}: set DATA_DIR to the directory the server ran with`);
  }
}

/** A database holding tables that no sinth migration made is someone else's: never write into it. */
async function refuseForeignDatabase(target: pg.Pool): Promise<void> {
  const { rows } = await target.query<{ tables: number; ours: boolean }>(
    `select (select count(*)::int from pg_tables where schemaname = 'public') as tables, to_regclass('public.schema_migrations') is not null as ours`,
  );
  if (rows[0]!.tables > 0 && !rows[0]!.ours) {
    throw new MigrateDataError('the target database holds tables that are not sinth\'s: create an empty database for sinth (createdb sinth) and point --to at it');
  }
}

interface CopyPlan {
  /** Copied row by row, in this order. */
  tables: Table[];
  /** pg-boss's queue table, copied through create_queue before the job tables. */
  queue: Table | null;
  /** Foreign keys checked at commit: a table references itself, or tables reference each other. */
  lateKeys: ForeignKey[];
  /** Everything compared afterwards. */
  verified: Table[];
}

async function planCopy(source: Queryable, target: Queryable, jobsSchema: string, withJobs: boolean): Promise<CopyPlan> {
  const schemas = withJobs ? ['public', jobsSchema] : ['public'];
  const skip = new Set([...MIGRATION_TABLES, ...JOB_SCHEMA_INTERNAL.map((t) => `${jobsSchema}.${t}`)]);
  // A vector table the source made but never filled has nothing to move to a server without pgvector.
  if (!(await hasTable(target, EMBEDDINGS)) && !((await hasTable(source, EMBEDDINGS)) && (await hasRows(source, EMBEDDINGS)))) skip.add(tableKey(EMBEDDINGS));
  const all = (await listTables(source, schemas)).filter((t) => !skip.has(tableKey(t)));
  const targetTables = new Map((await listTables(target, schemas)).map((t) => [tableKey(t), t]));
  for (const t of all) {
    const other = targetTables.get(tableKey(t));
    const shape = (x: Table) => x.columns.map((c) => `${c.name} ${c.type}`).sort().join(', ');
    if (!other || shape(other) !== shape(t)) {
      throw new MigrateDataError(`table ${tableKey(t)} differs between the data directory and the target (${shape(t)} / ${other ? shape(other) : 'missing'}): both must be at the same sinth version`);
    }
  }
  const queueKey = `${jobsSchema}.${JOB_QUEUE_TABLE}`;
  const queue = all.find((t) => tableKey(t) === queueKey) ?? null;
  const copied = all.filter((t) => t !== queue);
  const { order, lateKeys } = dependencyOrder(copied, await listForeignKeys(target, schemas));
  return { tables: order, queue, lateKeys, verified: queue ? [queue, ...order] : order };
}

/** Any row in the app's tables or in the job queue's jobs: only queues (made by a start) may be there. */
async function refuseNonEmptyTarget(target: Queryable, jobsSchema: string): Promise<void> {
  const bookkeeping = new Set([...MIGRATION_TABLES, ...[...JOB_SCHEMA_INTERNAL, JOB_QUEUE_TABLE].map((t) => `${jobsSchema}.${t}`)]);
  const filled: string[] = [];
  for (const t of await listTables(target, ['public', jobsSchema])) {
    if (!bookkeeping.has(tableKey(t)) && (await hasRows(target, t))) filled.push(tableKey(t));
  }
  if (filled.length) {
    throw new MigrateDataError(
      `the target database already holds data (${filled.slice(0, 5).join(', ')}${filled.length > 5 ? `, and ${filled.length - 5} more tables` : ''}): ` +
        'migrate-data only fills an empty database, so nothing is overwritten or mixed. Create a new database (createdb) and point --to at it',
    );
  }
}

/** One target transaction: a failure anywhere rolls every row back. */
async function copyAll(sourcePool: pg.Pool, targetPool: pg.Pool, plan: CopyPlan, say: (m: string) => void): Promise<void> {
  const source = await sourcePool.connect();
  const target = await targetPool.connect();
  try {
    await useStableText(source);
    await target.query('begin');
    await useStableText(target);
    // Rows go in as they were; a trigger must not rewrite them or add rows of its own.
    const triggered = await tablesWithTriggers(target, plan.tables);
    for (const t of triggered) await target.query(`alter table ${t} disable trigger user`);
    const deferred = plan.lateKeys.filter((k) => !k.deferrable);
    for (const k of deferred) await target.query(`alter table ${qualifiedKey(k.from)} alter constraint ${ident(k.name)} deferrable initially deferred`);
    if (plan.lateKeys.length) await target.query('set constraints all deferred');

    if (plan.queue) say(`  ${tableKey(plan.queue)}: ${await copyQueues(source, target, plan.queue)} queues`);
    for (const table of plan.tables) {
      let shown = 0;
      const rows = await copyTable(source, target, table, (n) => {
        if (n - shown < 50_000) return;
        shown = n;
        say(`  ${tableKey(table)}: ${n} rows so far`);
      });
      say(`  ${tableKey(table)}: ${rows} rows`);
    }
    await copySequences(source, target, [...new Set(plan.verified.map((t) => t.schema))]);

    await target.query('set constraints all immediate');
    for (const k of deferred) await target.query(`alter table ${qualifiedKey(k.from)} alter constraint ${ident(k.name)} not deferrable`);
    for (const t of triggered) await target.query(`alter table ${t} enable trigger user`);
    await target.query('commit');
  } catch (err) {
    await target.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    target.release();
    source.release();
  }
}

async function tablesWithTriggers(q: Queryable, tables: Table[]): Promise<string[]> {
  const { rows } = await q.query<{ t: string }>(
    `select distinct n.nspname || '.' || c.relname as t from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace where not g.tgisinternal`,
  );
  const wanted = new Set(rows.map((r) => r.t));
  return tables.filter((t) => wanted.has(tableKey(t))).map(qualified);
}

async function compareBoth(sourcePool: pg.Pool, targetPool: pg.Pool, tables: Table[]): Promise<TableCheck[]> {
  const source = await sourcePool.connect();
  const target = await targetPool.connect();
  try {
    await useStableText(source);
    await useStableText(target);
    return await compareTables(source, target, tables);
  } finally {
    target.release();
    source.release();
  }
}

const qualifiedKey = (key: string) => {
  const dot = key.indexOf('.');
  return qualified({ schema: key.slice(0, dot), name: key.slice(dot + 1) });
};

async function hasTable(q: Queryable, t: { schema: string; name: string }): Promise<boolean> {
  const { rows } = await q.query(`select 1 from pg_tables where schemaname = $1 and tablename = $2`, [t.schema, t.name]);
  return rows.length > 0;
}

async function hasRows(q: Queryable, t: { schema: string; name: string }): Promise<boolean> {
  const { rows } = await q.query<{ filled: boolean }>(`select exists (select 1 from ${qualified(t)}) as filled`);
  return rows[0]!.filled;
}

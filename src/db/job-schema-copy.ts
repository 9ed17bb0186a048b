import PgBoss from 'pg-boss';
import type pg from 'pg';
import { ident, type Queryable, type Table } from './table-catalog.js';

/** pg-boss's own bookkeeping: made by pg-boss on the target, never copied. */
export const JOB_SCHEMA_INTERNAL = ['version'];
/** Copied through pg-boss's create_queue, which also makes each queue's job partition. */
export const JOB_QUEUE_TABLE = 'queue';

export async function schemaExists(q: Queryable, schema: string): Promise<boolean> {
  const { rows } = await q.query(`select 1 from pg_namespace where nspname = $1`, [schema]);
  return rows.length > 0;
}

async function jobSchemaVersion(q: Queryable, schema: string): Promise<number | null> {
  const { rows } = await q.query<{ version: number }>(`select max(version) as version from ${ident(schema)}.version`);
  return rows[0]?.version ?? null;
}

/**
 * Lets pg-boss make (or upgrade) its schema on the target the way a starting server does, without
 * supervising or scheduling anything. Returns both sides' pg-boss schema versions: the job rows are
 * copied column for column, so they must agree.
 */
export async function prepareJobSchema(source: Queryable, targetPool: pg.Pool, schema: string): Promise<{ source: number | null; target: number | null }> {
  const boss = new PgBoss({ db: { executeSql: (text, values) => targetPool.query(text, values) }, schema, supervise: false, schedule: false });
  await boss.start();
  await boss.stop({ graceful: false, close: false, wait: true });
  return { source: await jobSchemaVersion(source, schema), target: await jobSchemaVersion(targetPool, schema) };
}

/**
 * Makes the source's queues on the target with pg-boss's create_queue (which makes each queue's job
 * partition), then gives them the source's settings and time stamps. A queue a server already made on
 * the target is kept and takes the source's settings.
 */
export async function copyQueues(source: Queryable, target: Queryable, queue: Table): Promise<number> {
  const schema = ident(queue.schema);
  const settable = queue.columns.filter((c) => !c.generated && c.name !== 'name' && c.name !== 'partition_name');
  const { rows } = await source.query<Record<string, string | null>>(
    `select name, ${settable.map((c, i) => `${ident(c.name)}::text as c${i}`).join(', ')} from ${schema}.${ident(queue.name)} order by name collate "C"`,
  );
  for (const r of rows) await target.query(`select ${schema}.create_queue($1, '{}'::json)`, [r.name]);
  // After every queue exists: a queue's dead letter queue is another queue.
  for (const r of rows) {
    await target.query(
      `update ${schema}.${ident(queue.name)} set ${settable.map((c, i) => `${ident(c.name)} = $${i + 2}::${c.type}`).join(', ')} where name = $1`,
      [r.name, ...settable.map((_, i) => r[`c${i}`] ?? null)],
    );
  }
  return rows.length;
}

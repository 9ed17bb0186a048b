import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { backlog, backlogOldestAge, queueDepth, queueOldestAge } from './metrics.js';

interface QueueRow {
  name: string;
  state: string;
  jobs: number;
  oldest: number | null;
}

/**
 * Reads the cluster's queues from the database into the gauges, at scrape time: the queues live in
 * PostgreSQL, so any process reports the same figures (aggregate them with max(), not sum()).
 */
export async function collectClusterGauges(db: Database, jobsSchema: string): Promise<void> {
  const { rows } = await sql<QueueRow>`
    select name, state::text as state, count(*)::int as jobs,
           extract(epoch from now() - min(start_after) filter (where state in ('created', 'retry') and start_after <= now()))::float8 as oldest
    from ${sql.table(`${jobsSchema}.job`)}
    where state in ('created', 'retry', 'active')
    group by name, state
  `.execute(db);
  queueDepth.reset();
  queueOldestAge.reset();
  const oldest = new Map<string, number>();
  for (const r of rows) {
    queueDepth.set({ queue: r.name, state: r.state }, r.jobs);
    oldest.set(r.name, Math.max(oldest.get(r.name) ?? 0, r.oldest ?? 0));
  }
  for (const [queue, age] of oldest) queueOldestAge.set({ queue }, age);

  const { rows: work } = await sql<{ kind: string; n: number; oldest: number | null }>`
    select 'outbox_events' as kind, count(*)::int as n, extract(epoch from now() - min(created_at))::float8 as oldest
      from outbox_events where dispatched_at is null
    union all
    select 'webhook_deliveries', count(*)::int,
           extract(epoch from now() - min(coalesce(next_attempt_at, created_at)) filter (where coalesce(next_attempt_at, created_at) <= now()))::float8
      from webhook_deliveries where status in ('pending', 'failed')
  `.execute(db);
  for (const w of work) {
    backlog.set({ kind: w.kind }, w.n);
    backlogOldestAge.set({ kind: w.kind }, w.oldest ?? 0);
  }
}

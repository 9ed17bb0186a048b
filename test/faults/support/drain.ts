import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { FaultWorld } from './world.js';

/** Work not finished: jobs by `name state`, outbox events not relayed, webhook deliveries and texts not done. */
export interface Leftovers {
  jobs: Record<string, number>;
  outbox: number;
  deliveries: number;
  queuedSms: number;
  campaign: string;
}

export const NOTHING_LEFT: Leftovers = { jobs: {}, outbox: 0, deliveries: 0, queuedSms: 0, campaign: 'completed' };

/** pg-boss jobs waiting, waiting to be retried or running, by `name state`. */
export async function openJobs(w: FaultWorld): Promise<Record<string, number>> {
  const schema = w.env.JOBS_SCHEMA ?? 'pgboss';
  const jobs = await sql<{ name: string; state: string; n: number }>`
    select name, state::text, count(*)::int as n from ${sql.table(`${schema}.job`)}
    where state in ('created', 'retry', 'active') group by name, state order by name, state`.execute(w.database.db);
  return Object.fromEntries(jobs.rows.map((r) => [`${r.name} ${r.state}`, r.n]));
}

export async function leftovers(w: FaultWorld, accountId: string, campaignId: string): Promise<Leftovers> {
  const db = w.database.db;
  const count = async (q: ReturnType<typeof sql<{ n: number }>>) => (await q.execute(db)).rows[0]!.n;
  return {
    jobs: await openJobs(w),
    outbox: await count(sql<{ n: number }>`select count(*)::int as n from outbox_events where account_id = ${accountId} and dispatched_at is null`),
    deliveries: await count(sql<{ n: number }>`select count(*)::int as n from webhook_deliveries where account_id = ${accountId} and status <> 'succeeded'`),
    queuedSms: await count(sql<{ n: number }>`select count(*)::int as n from sms_messages where account_id = ${accountId} and status = 'queued'`),
    campaign: (await db.selectFrom('campaigns').select('status').where('id', '=', campaignId).executeTakeFirstOrThrow()).status,
  };
}

const isDone = (l: Leftovers) => JSON.stringify(l) === JSON.stringify(NOTHING_LEFT);

/** Waits (up to `timeoutMs`) until nothing is left; returns what is left at the end (NOTHING_LEFT when drained). */
export async function drained(w: FaultWorld, accountId: string, campaignId: string, timeoutMs: number): Promise<Leftovers> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = await leftovers(w, accountId, campaignId).catch((err: Error) => ({ ...NOTHING_LEFT, campaign: `unreadable: ${err.message}` }));
    if (isDone(left) || Date.now() > end) return left;
    await sleep(500);
  }
}

/** What the database's sessions are doing (a failed drain prints it: a stuck transaction shows here). */
export async function sessions(w: FaultWorld): Promise<string[]> {
  const { rows } = await sql<{ pid: number; state: string; wait: string | null; age: string | null; query: string }>`
    select pid, state, wait_event_type || ':' || wait_event as wait, (now() - xact_start)::text as age, left(query, 120) as query
    from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`.execute(w.database.db);
  return rows.map((r) => `${r.pid} ${r.state} ${r.wait ?? ''} ${r.age ?? ''} ${r.query.replace(/\s+/g, ' ')}`);
}

import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';

// pg-boss makes a cron tick's job through its internal send-it queue. When the worker holding that
// send-it job dies, or the database restarts before the job completes, it is retried: the fault
// suite saw four schedules run twice in the minute of a PostgreSQL restart.

const SEND_IT = '__pgboss__send-it';
const TICKED = 'webhooks.prune'; // daily at 03:41: no real tick of it comes during the test

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { role: 'worker' });
});
afterAll(() => h.close());

describe('scheduled jobs', () => {
  it('run once for a tick that pg-boss hands over twice', async () => {
    const table = (t: string) => sql.table(`${h.config.JOBS_SCHEMA}.${t}`);
    const schedule = await sql<{ options: Record<string, unknown> }>`select options from ${table('schedule')} where name = ${TICKED}`.execute(h.database.db);
    expect(schedule.rows).toHaveLength(1);

    // Both handovers land in one minute slot, as a retry seconds later does.
    if (new Date().getUTCSeconds() > 45) await sleep((61 - new Date().getUTCSeconds()) * 1000);
    // What the timekeeper queues for a due schedule (timekeeper.js cron()), twice.
    const handover = { name: TICKED, data: {}, ...schedule.rows[0]!.options };
    const ids = [await h.deps.jobs.send(SEND_IT, handover), await h.deps.jobs.send(SEND_IT, handover)];
    expect(ids.every(Boolean)).toBe(true);
    await waitUntil(
      async () => (await sql<{ n: number }>`select count(*)::int as n from ${table('job')} where id = any(${ids}::uuid[]) and state = 'completed'`.execute(h.database.db)).rows[0]!.n,
      (n) => n === 2,
      'both handovers taken',
      30_000,
    );
    const made = await sql<{ n: number }>`
      select count(*)::int as n from (select name from ${table('job')} union all select name from ${table('archive')}) j where name = ${TICKED}`.execute(h.database.db);
    expect(made.rows[0]!.n).toBe(1);
  });
});

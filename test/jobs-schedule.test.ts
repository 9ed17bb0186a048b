import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickPeriodSeconds } from '../src/jobs/tick-period.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitUntil } from './support/wait.js';

// pg-boss makes a cron tick's job through its internal send-it queue. When the worker holding that
// send-it job dies, or the database restarts before the job completes, it runs again: the fault
// suite saw four schedules run twice in the minute of a PostgreSQL restart.

const SEND_IT = '__pgboss__send-it';
const TICKED = 'webhooks.prune'; // daily at 03:41: no real tick of it comes during the test

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { role: 'worker' });
});
afterAll(() => h.close());

describe('scheduled jobs', () => {
  it('run once for a tick that pg-boss hands over twice, the second time later', async () => {
    const table = (t: string) => sql.table(`${h.config.JOBS_SCHEMA}.${t}`);
    const schedule = await sql<{ options: Record<string, unknown> }>`select options from ${table('schedule')} where name = ${TICKED}`.execute(h.database.db);
    expect(schedule.rows).toHaveLength(1);
    expect(schedule.rows[0]!.options).toMatchObject({ singletonSeconds: 86_400 });

    // One daily slot for both handovers (not across UTC midnight).
    const now = new Date();
    if (now.getUTCHours() === 23 && now.getUTCMinutes() === 59) await sleep(61_000);
    // What the timekeeper queues for a due schedule (timekeeper.js cron()), then the same again once
    // the first has been taken: the repeat of a send-it job whose completion was lost.
    const handover = { name: TICKED, data: {}, ...schedule.rows[0]!.options };
    for (let i = 0; i < 2; i++) {
      const id = await h.deps.jobs.send(SEND_IT, handover);
      await waitUntil(
        async () => (await sql<{ state: string }>`select state from ${table('job')} where id = ${id}::uuid`.execute(h.database.db)).rows[0]?.state,
        (s) => s === 'completed',
        `handover ${i + 1} taken`,
        30_000,
      );
    }
    const made = await sql<{ n: number }>`
      select count(*)::int as n from (select name from ${table('job')} union all select name from ${table('archive')}) j where name = ${TICKED}`.execute(h.database.db);
    expect(made.rows[0]!.n).toBe(1);
  });
});

describe('tickPeriodSeconds', () => {
  it.each([
    ['* * * * *', 60],
    ['*/10 * * * *', 600],
    ['*/15 * * * *', 900],
    ['7 * * * *', 3600],
    ['23 4 * * *', 86_400],
    ['0 0 * * *', 86_400],
  ])('%s ticks every %i s', (cron, seconds) => expect(tickPeriodSeconds(cron)).toBe(seconds));

  it.each(['*/7 * * * *', '0 */2 * * *', '0 9 * * 1', '0 0 1 * *', '1,31 * * * *', '60 * * * *', '* *'])('refuses %s, whose ticks a fixed slot cannot hold one by one', (cron) => {
    expect(() => tickPeriodSeconds(cron)).toThrow(/not evenly spaced/);
  });
});

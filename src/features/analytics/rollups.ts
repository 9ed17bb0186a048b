import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { latencyBucket } from './latency-histogram.js';
import { dayOf, importedSince } from './rollup-queries.js';

const DAY = 86_400_000;
/** A day is rolled up once it has been over this long: replies still being written at midnight land first. */
const CLOSE_DELAY_MS = 60 * 60_000;
/** get_analytics reaches at most 400 days back from now (range.ts): older days stay read from the messages. */
const LOOKBACK_DAYS = 400;

/**
 * Rolls up one account's messages of one UTC day, in one repeatable-read transaction (one snapshot
 * for every table): the day's rows are replaced, so running it again over the same messages leaves
 * the same rows, and the day is marked rolled up.
 */
export async function rollupDay(db: Database, accountId: string, day: string): Promise<void> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + DAY);
  await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    await trx.deleteFrom('analytics_daily').where('account_id', '=', accountId).where(sql<boolean>`day = ${day}::date`).execute();
    await trx.deleteFrom('analytics_active_users').where('account_id', '=', accountId).where(sql<boolean>`day = ${day}::date`).execute();
    await sql`
      insert into analytics_daily (account_id, day, bot_id, messages_in, messages_out, messages_api, messages_sms, messages_voice, retrained_hits, latency_buckets, latency_counts)
      with day_messages as (
        select c.bot_id, c.channel, m.role, m.source, m.latency_ms
        from messages m join conversations c on c.id = m.conversation_id
        where m.account_id = ${accountId} and c.account_id = ${accountId} and m.created_at >= ${from} and m.created_at < ${to}
          and m.role in ('user', 'assistant', 'operator')
      ),
      latency as (
        select bot_id, array_agg(b order by b) as buckets, array_agg(n order by b) as counts
        from (select bot_id, ${latencyBucket(sql.ref('latency_ms'))} as b, count(*) as n from day_messages where role = 'assistant' and latency_ms is not null group by 1, 2) h
        group by bot_id
      )
      select ${accountId}, ${day}::date, d.bot_id,
        count(*) filter (where d.role = 'user'), count(*) filter (where d.role <> 'user'),
        count(*) filter (where d.channel = 'api'), count(*) filter (where d.channel = 'sms'), count(*) filter (where d.channel = 'voice'),
        count(*) filter (where d.source = 'retrained'),
        coalesce(min(l.buckets), '{}'), coalesce(min(l.counts), '{}')
      from day_messages d left join latency l on l.bot_id = d.bot_id
      group by d.bot_id`.execute(trx);
    // Only end users on record: the row goes with them when they are erased (foreign key).
    await sql`
      insert into analytics_active_users (account_id, day, bot_id, user_id)
      select distinct ${accountId}, ${day}::date, c.bot_id, c.user_id
      from messages m join conversations c on c.id = m.conversation_id
      where m.account_id = ${accountId} and c.account_id = ${accountId} and m.created_at >= ${from} and m.created_at < ${to} and m.role = 'user'
        and exists (select 1 from end_users u where u.bot_id = c.bot_id and u.user_id = c.user_id)`.execute(trx);
    await sql`
      insert into analytics_rollup_days (account_id, day, rolled_at, messages)
      select ${accountId}, ${day}::date, now(), count(*) from messages where account_id = ${accountId} and created_at >= ${from} and created_at < ${to}
      on conflict (account_id, day) do update set rolled_at = excluded.rolled_at, messages = excluded.messages`.execute(trx);
  });
}

/**
 * Rolls up every closed day (over for an hour, within the last 400 days) of every account that is
 * not rolled up yet, from the account's first message on; and again, days an import added messages to
 * after their rollup. Days already rolled up and untouched are left as they are. Returns the days rolled up.
 */
export async function rollupClosedDays(db: Database, now = new Date()): Promise<number> {
  const end = dayOf(new Date(now.getTime() - CLOSE_DELAY_MS)); // first day not closed
  const lookback = dayOf(new Date(now.getTime() - LOOKBACK_DAYS * DAY));
  const accounts = await db.selectFrom('accounts').select('id').orderBy('id').execute();
  let rolled = 0;
  for (const { id } of accounts) {
    const first = (await sql<{ t: Date | null }>`select min(created_at) as t from messages where account_id = ${id} and created_at >= ${lookback}::date`.execute(db)).rows[0]?.t;
    if (!first) continue;
    const done = await db.selectFrom('analytics_rollup_days').select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), 'rolled_at']).where('account_id', '=', id).where(sql<boolean>`day >= ${lookback}::date`).execute();
    const since = done.reduce((min, r) => Math.min(min, new Date(r.rolled_at).getTime()), Infinity);
    const stale = new Set(done.length ? await importedSince(db, id, lookback, end, new Date(since)) : []);
    const fresh = new Set(done.map((r) => r.day).filter((d) => !stale.has(d)));
    for (let t = Date.parse(`${dayOf(new Date(first))}T00:00:00Z`); dayOf(new Date(t)) < end; t += DAY) {
      const day = dayOf(new Date(t));
      if (fresh.has(day)) continue;
      await rollupDay(db, id, day);
      rolled++;
    }
  }
  return rolled;
}

import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { latencyBucket } from './latency-histogram.js';
import { idWindow, ORIGIN, STEP_SQL, type AnalyticsRange } from './range.js';
import { messageDay, skipDays, type Scope, type SeriesRow } from './series-queries.js';

/**
 * An import made after a day was rolled up may have added messages to it (imported messages keep their
 * own times). Its audit row is looked for from this long before the rollup: an import still running
 * while the day was rolled up committed after it, but its audit row carries the time it started.
 */
export const IMPORT_MARGIN_MS = 30 * 60_000;

const dayText = (column: ReturnType<typeof sql>) => sql<string>`to_char(${column}, 'YYYY-MM-DD')`;
export const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Rolled-up days (YYYY-MM-DD) of `from`..`to` whose rollup is still whole: days that an import reached
 * after their rollup are left out (read from the messages until the next rollup redoes them).
 */
export async function currentRolledDays(db: Database, accountId: string, from: Date, to: Date): Promise<string[]> {
  const rows = (await sql<{ day: string; rolled_at: Date }>`
    select ${dayText(sql.ref('day'))} as day, rolled_at from analytics_rollup_days
    where account_id = ${accountId} and day >= ${dayOf(from)}::date and day < ${dayOf(to)}::date order by day`.execute(db)).rows;
  if (rows.length === 0) return [];
  const stale = new Set(await importedSince(db, accountId, dayOf(from), dayOf(to), new Date(Math.min(...rows.map((r) => new Date(r.rolled_at).getTime())))));
  return rows.map((r) => r.day).filter((d) => !stale.has(d));
}

/**
 * Rolled-up days of `fromDay`..`toDay` that changed since: an import logged at or after their rollup
 * (less the margin) has messages on them, and they no longer hold as many messages as were rolled up
 * (an import that only skipped duplicates changed nothing).
 */
export async function importedSince(db: Database, accountId: string, fromDay: string, toDay: string, since: Date): Promise<string[]> {
  const ids = idWindow('log', new Date(since.getTime() - IMPORT_MARGIN_MS), new Date());
  return (await sql<{ day: string }>`
    with touched as (
      select distinct r.day, r.messages
      from audit_logs a
      join messages m on m.conversation_id = a.object_id
      join analytics_rollup_days r on r.account_id = a.account_id and r.day = ${messageDay}
      where a.account_id = ${accountId} and a.id >= ${ids.lo} and a.id < ${ids.hi} and a.action = 'conversation.history_imported'
        and a.created_at >= r.rolled_at - ${sql.raw(`interval '${IMPORT_MARGIN_MS / 1000} seconds'`)}
        and r.day >= ${fromDay}::date and r.day < ${toDay}::date
    )
    select ${dayText(sql.ref('t.day'))} as day from touched t
    where t.messages <> (select count(*) from messages m where m.account_id = ${accountId}
      and m.created_at >= (t.day::timestamp at time zone 'UTC') and m.created_at < ((t.day + 1)::timestamp at time zone 'UTC'))`.execute(db)).rows.map((r) => r.day);
}

const dayBucket = (range: AnalyticsRange, column: string) =>
  sql`date_bin(${sql.raw(`interval '${STEP_SQL[range.interval]}'`)}, (${sql.ref(column)}::timestamp at time zone 'UTC'), ${sql.raw(`timestamptz '${ORIGIN.toISOString()}'`)})`;
const botFilter = (scope: Scope, column: string) => (scope.botIds ? sql`and ${sql.ref(column)} = any(${scope.botIds})` : sql``);

/** messageCounts (series-queries.ts) of rolled-up days (day and week buckets). */
export async function rolledMessageCounts(db: Database, scope: Scope, range: AnalyticsRange, days: string[]): Promise<SeriesRow[]> {
  return (await sql<SeriesRow>`
    select ${dayBucket(range, 'day')} as t, sum(messages_in)::int8 as messages_in, sum(messages_out)::int8 as messages_out,
      sum(messages_api)::int8 as api, sum(messages_sms)::int8 as sms, sum(messages_voice)::int8 as voice, sum(retrained_hits)::int8 as retrained_hits
    from analytics_daily
    where account_id = ${scope.accountId} and day = any(${days}::date[]) ${botFilter(scope, 'bot_id')}
    group by 1`.execute(db)).rows;
}

/** Reply latency histograms (t, b: bucket, n: replies) of rolled-up days. */
export async function rolledLatency(db: Database, scope: Scope, range: AnalyticsRange, days: string[]): Promise<SeriesRow[]> {
  return (await sql<SeriesRow>`
    select ${dayBucket(range, 'd.day')} as t, h.b, sum(h.n)::int8 as n
    from analytics_daily d cross join unnest(d.latency_buckets, d.latency_counts) as h(b, n)
    where d.account_id = ${scope.accountId} and d.day = any(${days}::date[]) ${botFilter(scope, 'd.bot_id')}
    group by 1, 2`.execute(db)).rows;
}

/** Reply latency histograms from the messages of a range, less the days in `skip`. */
export async function latencyHistogram(db: Database, scope: Scope, range: AnalyticsRange, skip: string[]): Promise<SeriesRow[]> {
  const t = sql`date_bin(${sql.raw(`interval '${STEP_SQL[range.interval]}'`)}, m.created_at, ${sql.raw(`timestamptz '${ORIGIN.toISOString()}'`)})`;
  const join = scope.botIds ? sql`join conversations c on c.id = m.conversation_id and c.bot_id = any(${scope.botIds})` : sql``;
  return (await sql<SeriesRow>`
    select ${t} as t, ${latencyBucket(sql.ref('m.latency_ms'))} as b, count(*) as n
    from messages m ${join}
    where m.account_id = ${scope.accountId} and m.created_at >= ${range.from} and m.created_at < ${range.to} ${skipDays(skip)}
      and m.role = 'assistant' and m.latency_ms is not null
    group by 1, 2`.execute(db)).rows;
}

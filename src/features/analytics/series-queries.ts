import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { idWindow, ORIGIN, STEP_SQL, type AnalyticsRange } from './range.js';

/** Whose data: the account, and optionally only some of its bots. */
export interface Scope {
  accountId: string;
  botIds: string[] | null;
}

/** One query's rows: the bucket start (null: the whole range, from grouping sets) and its numbers. */
export type SeriesRow = { t: Date | null } & Record<string, number | string | null | number[]>;

/** The bucket of a time. Constants, not parameters: a grouping set must repeat the select's expression exactly. */
const bucket = (range: AnalyticsRange, column: RawBuilder<unknown>) =>
  sql`date_bin(${sql.raw(`interval '${STEP_SQL[range.interval]}'`)}, ${column}, ${sql.raw(`timestamptz '${ORIGIN.toISOString()}'`)})`;
const inRange = (range: AnalyticsRange, column: RawBuilder<unknown>) => sql`${column} >= ${range.from} and ${column} < ${range.to}`;
const botFilter = (scope: Scope, column: RawBuilder<unknown>) => (scope.botIds ? sql`and ${column} = any(${scope.botIds})` : sql``);
/** The account's bots, deleted ones included (their rows count until they are erased). */
const accountBots = (scope: Scope) => (scope.botIds ? sql`${scope.botIds}::text[]` : sql`array(select id from bots where account_id = ${scope.accountId})`);

/** The UTC day of a message (alias m). */
export const messageDay = sql`(m.created_at at time zone 'UTC')::date`;
/** Leaves the messages of some days (YYYY-MM-DD) out of a read: they come from the rollups. */
export const skipDays = (skip: string[]) => (skip.length ? sql`and not (${messageDay} = any(${skip}::date[]))` : sql``);

const run = async (db: Database, query: RawBuilder<SeriesRow>) => (await query.execute(db)).rows;

/**
 * Messages in and out, by channel, curated answers, and (hour buckets) tokens and model calls: one pass
 * over the account's messages of the range (messages_account_time), joined to their conversations.
 */
export function messageCounts(db: Database, scope: Scope, range: AnalyticsRange, skip: string[] = []) {
  const t = bucket(range, sql.ref('m.created_at'));
  const hourly = range.interval === 'hour'
    ? sql`, coalesce(sum(m.tokens_in), 0)::int8 as tokens_in, coalesce(sum(m.tokens_out), 0)::int8 as tokens_out, count(*) filter (where m.source = 'model') as model_calls`
    : sql``;
  return run(db, sql<SeriesRow>`
    select ${t} as t,
      count(*) filter (where m.role = 'user') as messages_in,
      count(*) filter (where m.role <> 'user') as messages_out,
      count(*) filter (where c.channel = 'api') as api,
      count(*) filter (where c.channel = 'sms') as sms,
      count(*) filter (where c.channel = 'voice') as voice,
      count(*) filter (where m.source = 'retrained') as retrained_hits
      ${hourly}
    from messages m join conversations c on c.id = m.conversation_id
    where m.account_id = ${scope.accountId} and c.account_id = ${scope.accountId} and ${inRange(range, sql.ref('m.created_at'))} ${skipDays(skip)}
      and m.role in ('user', 'assistant', 'operator') ${botFilter(scope, sql.ref('c.bot_id'))}
    group by 1`);
}

/** Reply latency percentiles per bucket and over the range (the row with t null). */
export function replyLatency(db: Database, scope: Scope, range: AnalyticsRange) {
  const t = bucket(range, sql.ref('m.created_at'));
  const join = scope.botIds ? sql`join conversations c on c.id = m.conversation_id and c.bot_id = any(${scope.botIds})` : sql``;
  return run(db, sql<SeriesRow>`
    select ${t} as t, percentile_disc(array[0.5, 0.95]) within group (order by m.latency_ms) as p
    from messages m ${join}
    where m.account_id = ${scope.accountId} and ${inRange(range, sql.ref('m.created_at'))} and m.role = 'assistant' and m.latency_ms is not null
    group by grouping sets ((${t}), ())`);
}

/**
 * End users who wrote, per bucket and over the range (each counted once: the row with t null). With
 * `rolled` (day and week buckets), those days come from the rollups and `range` (null: none) is read
 * from the messages less the days in `skip`.
 */
export function activeUsers(db: Database, scope: Scope, range: AnalyticsRange | null, rolled?: { range: AnalyticsRange; days: string[]; skip: string[] }) {
  const parts: RawBuilder<unknown>[] = [];
  if (range) {
    const t = bucket(range, sql.ref('m.created_at'));
    parts.push(sql`
      select ${t} as t, c.bot_id, c.user_id
      from messages m join conversations c on c.id = m.conversation_id
      where m.account_id = ${scope.accountId} and c.account_id = ${scope.accountId} and ${inRange(range, sql.ref('m.created_at'))} ${skipDays(rolled?.skip ?? [])}
        and m.role = 'user' ${botFilter(scope, sql.ref('c.bot_id'))}`);
  }
  if (rolled?.days.length) {
    parts.push(sql`
      select ${bucket(rolled.range, sql`(day::timestamp at time zone 'UTC')`)} as t, bot_id, user_id
      from analytics_active_users
      where account_id = ${scope.accountId} and day = any(${rolled.days}::date[]) ${botFilter(scope, sql.ref('bot_id'))}`);
  }
  if (parts.length === 0) return Promise.resolve([]);
  return run(db, sql<SeriesRow>`
    with active as (
      select t, bot_id, user_id from (${sql.join(parts, sql` union all `)}) each_source
      group by 1, 2, 3
    )
    select t, count(*) as active_users from active group by t
    union all
    select null, count(*) from (select distinct bot_id, user_id from active) everyone`);
}

/** Conversations started (conversations_account_time). */
export function conversationCounts(db: Database, scope: Scope, range: AnalyticsRange) {
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, count(*) as conversations
    from conversations where account_id = ${scope.accountId} and ${inRange(range, sql.ref('created_at'))} ${botFilter(scope, sql.ref('bot_id'))}
    group by 1`);
}

/** End users by their first contact (end_users_account_first_seen). */
export function newUsers(db: Database, scope: Scope, range: AnalyticsRange) {
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('first_seen_at'))} as t, count(*) as new_users
    from end_users where account_id = ${scope.accountId} and ${inRange(range, sql.ref('first_seen_at'))} ${botFilter(scope, sql.ref('bot_id'))}
    group by 1`);
}

/** The daily usage counters (what plans count; kept when users are erased): day and week buckets only. */
export function dailyUsage(db: Database, scope: Scope, range: AnalyticsRange) {
  const day = sql`(day::timestamp at time zone 'UTC')`;
  return run(db, sql<SeriesRow>`
    select ${bucket(range, day)} as t, sum(tokens_in)::int8 as tokens_in, sum(tokens_out)::int8 as tokens_out, sum(model_calls)::int8 as model_calls, sum(call_seconds)::int8 as call_seconds
    from usage_daily
    where account_id = ${scope.accountId} and day >= ${range.from.toISOString().slice(0, 10)}::date and day < ${range.to.toISOString().slice(0, 10)}::date ${botFilter(scope, sql.ref('bot_id'))}
    group by 1`);
}

/** Ratings by when they were first given (feedback_bot, per bot of the account). */
export function feedbackCounts(db: Database, scope: Scope, range: AnalyticsRange) {
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, count(*) filter (where rating = 'up') as feedback_up, count(*) filter (where rating = 'down') as feedback_down
    from feedback where bot_id = any(${accountBots(scope)}) and ${inRange(range, sql.ref('created_at'))}
    group by 1`);
}

/** Calls started, transferred to a person, and their talk time (calls_account, by id window). */
export function callCounts(db: Database, scope: Scope, range: AnalyticsRange) {
  const ids = idWindow('call', range.from, range.to);
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, count(*) as calls, count(*) filter (where transferred_at is not null) as transfers, coalesce(sum(duration_seconds), 0)::int8 as call_seconds
    from calls
    where account_id = ${scope.accountId} and id >= ${ids.lo} and id < ${ids.hi} and ${inRange(range, sql.ref('created_at'))} ${botFilter(scope, sql.ref('bot_id'))}
    group by 1`);
}

/** Billed SMS parts: texts handed to a provider, or received (sms_messages_account_time, index only). */
export function smsSegments(db: Database, scope: Scope, range: AnalyticsRange) {
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, coalesce(sum(segments), 0)::int8 as sms_segments
    from sms_messages
    where account_id = ${scope.accountId} and ${inRange(range, sql.ref('created_at'))} ${botFilter(scope, sql.ref('bot_id'))}
      and status in ('sending', 'sent', 'delivered', 'undelivered', 'failed', 'received')
    group by 1`);
}

/** Messages that arrived while a person had the conversation or the bot was off (the outbox's conversation.takeover events, outbox_events_takeovers). */
export function takeoverRequests(db: Database, scope: Scope, range: AnalyticsRange) {
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, count(*) as takeovers
    from outbox_events
    where account_id = ${scope.accountId} and type = 'conversation.takeover' and ${inRange(range, sql.ref('created_at'))} ${botFilter(scope, sql`payload->'data'->>'bot_id'`)}
    group by 1`);
}

/** Opt-outs, from the audit log (each one is recorded there, also when the user opts in again later). */
export function optOuts(db: Database, scope: Scope, range: AnalyticsRange) {
  const ids = idWindow('log', range.from, range.to);
  return run(db, sql<SeriesRow>`
    select ${bucket(range, sql.ref('created_at'))} as t, count(*) as opt_outs
    from audit_logs
    where account_id = ${scope.accountId} and id >= ${ids.lo} and id < ${ids.hi} and ${inRange(range, sql.ref('created_at'))}
      and action = 'user.opted_out' ${botFilter(scope, sql`details->>'bot_id'`)}
    group by 1`);
}

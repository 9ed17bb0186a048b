import { sql, type Kysely } from 'kysely';

/**
 * Per-day rollups of the message-based analytics, so a month's series reads thirty small rows per bot
 * instead of every message of the month (bench/analytics.ts). Only closed UTC days are rolled up (by
 * the analytics.rollup job); get_analytics reads the rest from the messages.
 *
 * - analytics_rollup_days: the days of an account that are rolled up (also days without messages), when,
 *   and how many messages the day had; a day not listed here is read from the messages.
 * - analytics_daily: per account, UTC day and bot, the message counts (by direction and channel) and
 *   reply latencies as a log-scale histogram (bucket numbers and counts, see latency-histogram.ts).
 *   Counts are aggregates without personal data: messages erased later stay counted here.
 * - analytics_active_users: who wrote on a day, so users active on several days are counted once over a
 *   week or a range. Personal data: it goes with the end user (on delete cascade) when they are erased.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table analytics_rollup_days (
      account_id text not null references accounts(id) on delete cascade,
      day date not null,
      rolled_at timestamptz not null default now(),
      -- The day's messages when it was rolled up: an import since then changed the day if this changed.
      messages int8 not null,
      primary key (account_id, day)
    );

    create table analytics_daily (
      account_id text not null references accounts(id) on delete cascade,
      day date not null,
      bot_id text not null references bots(id) on delete cascade,
      messages_in int8 not null default 0,
      messages_out int8 not null default 0,
      messages_api int8 not null default 0,
      messages_sms int8 not null default 0,
      messages_voice int8 not null default 0,
      retrained_hits int8 not null default 0,
      latency_buckets int4[] not null default '{}',
      latency_counts int8[] not null default '{}',
      primary key (account_id, day, bot_id)
    );
    create index analytics_daily_bot on analytics_daily (bot_id);

    create table analytics_active_users (
      account_id text not null references accounts(id) on delete cascade,
      day date not null,
      bot_id text not null,
      user_id text not null,
      primary key (account_id, day, bot_id, user_id),
      foreign key (bot_id, user_id) references end_users (bot_id, user_id) on delete cascade
    );
    create index analytics_active_users_user on analytics_active_users (bot_id, user_id);
  `.execute(db);
}

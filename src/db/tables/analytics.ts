import type { ColumnType } from 'kysely';

type Count = ColumnType<string, number | string | undefined, number | string>;

/** The closed UTC days of an account whose messages are rolled up (see 0019-analytics-rollups.ts). */
export interface AnalyticsRollupDaysTable {
  account_id: string;
  /** A UTC day, written as YYYY-MM-DD; the drivers read dates as local midnights: select to_char(day, 'YYYY-MM-DD'). */
  day: ColumnType<Date, string, string>;
  rolled_at: ColumnType<Date, Date | string | undefined, Date | string>;
  messages: ColumnType<number, number, number>;
}

/** One UTC day of one bot's messages. */
export interface AnalyticsDailyTable {
  account_id: string;
  day: ColumnType<Date, string, string>;
  bot_id: string;
  messages_in: Count;
  messages_out: Count;
  messages_api: Count;
  messages_sms: Count;
  messages_voice: Count;
  retrained_hits: Count;
  /** Reply latency histogram: bucket numbers (latency-histogram.ts) and, at the same positions, their counts. */
  latency_buckets: ColumnType<number[], number[] | undefined, number[]>;
  latency_counts: ColumnType<string[], Array<number | string> | undefined, Array<number | string>>;
}

/** End users who wrote on a UTC day (erased with the end user). */
export interface AnalyticsActiveUsersTable {
  account_id: string;
  day: ColumnType<Date, string, string>;
  bot_id: string;
  user_id: string;
}

export interface AnalyticsTables {
  analytics_rollup_days: AnalyticsRollupDaysTable;
  analytics_daily: AnalyticsDailyTable;
  analytics_active_users: AnalyticsActiveUsersTable;
}

import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

export interface NotificationSettingsTable {
  account_id: string;
  emails: string[];
  events: string[];
  digest: boolean;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  account_id: string;
  kind: string;
  dedupe_key: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  count: Generated<number>;
  status: Generated<NotificationStatus>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  window_started_at: Timestamp;
  window_minutes: Generated<number>;
  last_error: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  sent_at: NullableTimestamp;
}

/** Table types of the notifications feature (kept next to its migration). */
export interface NotificationTables {
  notification_settings: NotificationSettingsTable;
  notifications: NotificationsTable;
}

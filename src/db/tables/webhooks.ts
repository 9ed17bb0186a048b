import type { ColumnType, Generated } from 'kysely';

/** Table types of the webhooks feature (kept next to its migration, 0015-webhooks.ts). */
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type DeliveryStatus = 'pending' | 'failed' | 'succeeded' | 'dead';

export interface WebhooksTable {
  id: string;
  account_id: string;
  url: string;
  events: string[];
  secret_enc: string;
  enabled: Generated<boolean>;
  failing_since: NullableTimestamp;
  disabled_at: NullableTimestamp;
  disabled_reason: string | null;
  created_at: Generated<Date>;
}

export interface WebhookDeliveriesTable {
  id: string;
  account_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  locked_until: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  last_response: string | null;
  created_at: Generated<Date>;
  finished_at: NullableTimestamp;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  attempted_at: ColumnType<Date, Date | string, Date | string>;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response: string | null;
}

export interface WebhookTables {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

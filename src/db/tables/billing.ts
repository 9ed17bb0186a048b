import type { ColumnType, Generated } from 'kysely';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** One per account that has (or had) a Stripe customer. */
export interface SubscriptionsTable {
  account_id: string;
  plan_id: Generated<string>;
  /** Stripe's status (active, trialing, past_due, canceled, incomplete, …), or 'none' before any subscription. */
  status: Generated<string>;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  current_period_start: NullableTimestamp;
  current_period_end: NullableTimestamp;
  cancel_at_period_end: Generated<boolean>;
  stripe_event_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/** Stripe events already applied, by Stripe's event id. */
export interface StripeEventsTable {
  id: string;
  type: string;
  account_id: string | null;
  received_at: CreatedAt;
}

/** Usage notifications sent: one per account, period, limit and threshold. */
export interface UsageAlertsTable {
  account_id: string;
  period_start: ColumnType<Date, string, string>;
  limit_name: string;
  threshold: 80 | 100;
  created_at: CreatedAt;
}

/** Table types of the billing feature (kept next to its migration). */
export interface BillingTables {
  subscriptions: SubscriptionsTable;
  stripe_events: StripeEventsTable;
  usage_alerts: UsageAlertsTable;
}

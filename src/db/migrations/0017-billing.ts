import { sql, type Kysely } from 'kysely';

/**
 * Billing: each account's Stripe customer and subscription (one row per account; none means the
 * default plan), the Stripe events already applied (their ids, so a redelivered event changes
 * nothing), and the usage notifications already sent (80 % and 100 % of a limit, once per period).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subscriptions (
      account_id text primary key references accounts(id) on delete cascade,
      plan_id text not null default 'free',
      -- Stripe's subscription status; 'none' while the account has a customer but no subscription yet.
      status text not null default 'none',
      stripe_customer_id text unique,
      stripe_subscription_id text unique,
      current_period_start timestamptz,
      current_period_end timestamptz,
      cancel_at_period_end boolean not null default false,
      -- When Stripe produced the state stored here: an event created earlier (Stripe does not deliver
      -- in order) is recorded but not applied.
      stripe_event_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table stripe_events (
      id text primary key,
      type text not null,
      account_id text,
      received_at timestamptz not null default now()
    );
    create index stripe_events_received_at on stripe_events (received_at);

    create table usage_alerts (
      account_id text not null references accounts(id) on delete cascade,
      period_start date not null,
      limit_name text not null,
      threshold smallint not null check (threshold in (80, 100)),
      created_at timestamptz not null default now(),
      primary key (account_id, period_start, limit_name, threshold)
    );
  `.execute(db);
}

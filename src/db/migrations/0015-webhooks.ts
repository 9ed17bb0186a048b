import { sql, type Kysely } from 'kysely';

/**
 * Outbound webhooks. The outbox relay turns each event into one delivery per subscribed endpoint
 * (features/webhooks/consumer.ts); the delivery loop sends due deliveries and logs every attempt.
 *
 * A delivery references its outbox event rather than copying the payload: one copy per event, and
 * erasing a user's events (delete_user) takes their deliveries and attempts with them by cascade.
 *
 * Delivery status: pending (due: first attempt, or a manual retry), failed (the last attempt failed,
 * an automatic retry is scheduled at next_attempt_at), succeeded, dead (no more automatic retries:
 * the retry window ran out or the endpoint was disabled). `locked_until` is the lease of the worker
 * sending it: a worker that dies mid-send leaves a delivery that is due again when the lease ends.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table webhooks (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      url text not null,
      events text[] not null,
      -- Sealed with SECRET_KEY (core/secrets.ts, context webhooks:<id>); shown once, at creation.
      secret_enc text not null,
      enabled boolean not null default true,
      -- Set by the first failure after a success, cleared by a success; too old and the endpoint is disabled.
      failing_since timestamptz,
      disabled_at timestamptz,
      disabled_reason text,
      created_at timestamptz not null default now()
    );
    create index webhooks_account on webhooks (account_id, id);

    create table webhook_deliveries (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      webhook_id text not null references webhooks(id) on delete cascade,
      event_id text not null references outbox_events(id) on delete cascade,
      event_type text not null,
      status text not null default 'pending' check (status in ('pending', 'failed', 'succeeded', 'dead')),
      attempts integer not null default 0,
      next_attempt_at timestamptz,
      locked_until timestamptz,
      last_attempt_at timestamptz,
      last_status_code integer,
      last_latency_ms integer,
      last_error text,
      last_response text,
      created_at timestamptz not null default now(),
      -- When it became succeeded or dead: what pruning goes by.
      finished_at timestamptz
    );
    create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status in ('pending', 'failed');
    create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, id);
    -- Deleting outbox events (erasure, pruning) cascades here: without it each deleted event scans the table.
    create index webhook_deliveries_event on webhook_deliveries (event_id);
    create index webhook_deliveries_finished on webhook_deliveries (finished_at) where status in ('succeeded', 'dead');

    create table webhook_attempts (
      delivery_id text not null references webhook_deliveries(id) on delete cascade,
      attempt integer not null,
      attempted_at timestamptz not null,
      status_code integer,
      latency_ms integer not null,
      error text,
      -- The first kilobyte of the response body, as text.
      response text,
      primary key (delivery_id, attempt)
    );
  `.execute(db);
}

import { sql, type Kysely } from 'kysely';

/**
 * Email notifications: each account's settings (no row: the defaults, see features/notifications/settings.ts)
 * and the emails to send. A notification row is both the queue entry and the coalescing state: events
 * with the same `dedupe_key` (a conversation's takeover requests, an account's new users) fold into one
 * row while its window is open, so a burst is one email, decided atomically by the unique index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table notification_settings (
      account_id text primary key references accounts(id) on delete cascade,
      emails text[] not null,
      events text[] not null,
      digest boolean not null,
      updated_at timestamptz not null default now()
    );

    create table notifications (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      -- takeover_requested, new_user, source_failed, campaign_finished, webhook_disabled, payment_failed, usage_threshold, digest
      kind text not null,
      dedupe_key text not null,
      -- Ids and counts only: never message bodies or end users' personal data.
      data jsonb not null,
      count integer not null default 1,
      status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed', 'skipped')),
      attempts integer not null default 0,
      -- pending: when to send; sending: when a sender that claimed it is presumed dead.
      next_attempt_at timestamptz not null default now(),
      window_started_at timestamptz not null default now(),
      window_minutes integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      sent_at timestamptz,
      unique (account_id, dedupe_key)
    );
    create index notifications_open on notifications (next_attempt_at) where status in ('pending', 'sending');
  `.execute(db);
}

import { sql, type Kysely } from 'kysely';

/**
 * Domain events, written in the same transaction as the change they describe, so none is lost when a
 * process dies between the change and its delivery. The webhooks issue delivers them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table outbox_events (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      type text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      dispatched_at timestamptz
    );
    create index outbox_events_pending on outbox_events (id) where dispatched_at is null;
    create index outbox_events_account on outbox_events (account_id, id);
  `.execute(db);
}

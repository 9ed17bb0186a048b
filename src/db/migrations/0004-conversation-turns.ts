import { sql, type Kysely } from 'kysely';

/** What the conversation engine records per turn and per conversation. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table conversations
      add column summary text,
      add column last_message_at timestamptz;

    alter table messages
      add column status text not null default 'ok' check (status in ('ok', 'pending', 'unanswered', 'flagged')),
      add column source text,
      add column model text,
      add column tokens_in integer,
      add column tokens_out integer,
      add column latency_ms integer,
      add column sources jsonb;
  `.execute(db);
}

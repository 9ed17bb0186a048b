import { sql, type Kysely } from 'kysely';

/** Ratings of bot replies: one per message (a new rating replaces the old one). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table feedback (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      message_id text not null unique references messages(id) on delete cascade,
      rating text not null check (rating in ('up', 'down')),
      comment text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index feedback_bot on feedback (bot_id, created_at);
  `.execute(db);
}

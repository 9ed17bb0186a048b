import { sql, type Kysely } from 'kysely';

/** A bot's end users (fans, subscribers) and the account-wide suppression list of opted-out numbers. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table end_users (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      user_id text not null,
      phone text,
      email text,
      name text,
      tags text[] not null default '{}',
      attributes jsonb not null default '{}',
      age_verified boolean not null default false,
      age_verified_at timestamptz,
      age_verified_channel text,
      opted_out boolean not null default false,
      opted_out_at timestamptz,
      blocked boolean not null default false,
      first_seen_at timestamptz,
      last_seen_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (bot_id, user_id)
    );
    create unique index end_users_phone_uq on end_users (bot_id, phone) where phone is not null;
    create index end_users_bot on end_users (bot_id, id);
    create index end_users_tags on end_users using gin (tags);

    create table suppressions (
      account_id text not null references accounts(id) on delete cascade,
      phone text not null,
      reason text not null,
      created_at timestamptz not null default now(),
      primary key (account_id, phone)
    );

    create index conversations_user on conversations (bot_id, user_id, channel);
  `.execute(db);
}

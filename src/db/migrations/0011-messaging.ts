import { sql, type Kysely } from 'kysely';

/**
 * Phone numbers (bought, imported, rented from the platform's pool, or registered on Sinch) and every
 * SMS that goes in or out. An SMS that is part of a conversation points at its message; keyword
 * answers and bulk sends may not. `send_key` is claimed before a provider is called, so a retried or
 * restarted send never goes out twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table phone_numbers (
      id text primary key,
      -- null: a pool number of the platform's that no account rents now.
      account_id text references accounts(id) on delete set null,
      phone_number text not null unique,
      provider text not null check (provider in ('twilio', 'sinch')),
      source text not null check (source in ('purchased', 'imported', 'pool', 'sinch')),
      bot_id text references bots(id) on delete set null,
      sms boolean not null default true,
      voice boolean not null default true,
      -- Twilio's PN… sid of the number, and for an imported number the account it lives in.
      provider_sid text,
      twilio_account_sid text,
      -- An imported number's auth token, AES-256-GCM with SECRET_KEY (core/secrets.ts); never returned.
      twilio_auth_token_enc text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index phone_numbers_account on phone_numbers (account_id, id);
    create index phone_numbers_bot on phone_numbers (bot_id) where bot_id is not null;

    create table sms_messages (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      end_user_id text references end_users(id) on delete cascade,
      message_id text references messages(id) on delete set null,
      campaign_id text,
      direction text not null check (direction in ('inbound', 'outbound')),
      from_number text not null,
      to_number text not null,
      body text not null,
      media_urls jsonb not null default '[]',
      provider text not null,
      provider_message_id text,
      status text not null,
      error_code text,
      error_message text,
      segments integer not null,
      encoding text not null check (encoding in ('GSM-7', 'UCS-2')),
      send_key text unique,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index sms_messages_provider_id on sms_messages (provider, provider_message_id) where provider_message_id is not null;
    create index sms_messages_bot on sms_messages (bot_id, id);
    create index sms_messages_user on sms_messages (end_user_id, id);
  `.execute(db);
}

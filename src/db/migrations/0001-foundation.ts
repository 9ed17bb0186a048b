import { sql, type Kysely } from 'kysely';

/** Accounts, keys, bots, prompts and the cross-cutting tables (audit, idempotency, rate limits). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table accounts (
      id text primary key,
      kind text not null default 'standard' check (kind in ('standard', 'trial')),
      email text,
      email_normalized text,
      password_hash text,
      name text,
      expires_at timestamptz,
      created_at timestamptz not null default now()
    );
    create unique index accounts_email_uq on accounts (email_normalized) where email_normalized is not null;
    create index accounts_trial_expiry on accounts (expires_at) where kind = 'trial';

    create table api_keys (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      name text not null,
      kind text not null check (kind in ('api', 'session')),
      scope text not null check (scope in ('admin', 'conversation')),
      prefix text not null,
      key_hash text not null unique,
      bot_ids text[],
      allowed_origins text[],
      created_by text,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz
    );
    create index api_keys_account on api_keys (account_id, id);

    create table bots (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      name text not null,
      handle text,
      prompt text not null default '',
      prompt_version integer not null default 1,
      opening_message text not null default '',
      ui jsonb not null default '{}',
      sliders jsonb not null default '{}',
      model text,
      calendar_link text,
      transfer_number text,
      response_enabled boolean not null default true,
      response_resume_at timestamptz,
      claim_token_hash text unique,
      created_ip text,
      deleted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index bots_handle_uq on bots (lower(handle)) where handle is not null and deleted_at is null;
    create index bots_account on bots (account_id, id) where deleted_at is null;
    create index bots_account_name on bots (account_id, lower(name)) where deleted_at is null;
    create index bots_deleted on bots (deleted_at) where deleted_at is not null;

    create table prompt_versions (
      id text primary key,
      bot_id text not null references bots(id) on delete cascade,
      version integer not null,
      prompt text not null,
      source text not null check (source in ('create', 'edit', 'restore')),
      restored_from integer,
      actor text,
      created_at timestamptz not null default now(),
      unique (bot_id, version)
    );

    create table conversations (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      user_id text not null,
      channel text not null default 'api',
      bot_enabled boolean,
      resume_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index conversations_bot on conversations (bot_id, user_id);

    create table messages (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      conversation_id text not null references conversations(id) on delete cascade,
      role text not null check (role in ('user', 'assistant', 'operator', 'system')),
      content text not null,
      created_at timestamptz not null default now()
    );
    create index messages_conversation on messages (conversation_id, id);

    create table retrained_responses (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      question text not null,
      question_normalized text not null,
      response text not null,
      source_message_id text,
      hits integer not null default 0,
      last_hit_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (bot_id, question_normalized)
    );

    create table audit_logs (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      actor_type text not null,
      actor_id text,
      action text not null,
      object_type text,
      object_id text,
      request_id text,
      ip text,
      details jsonb,
      created_at timestamptz not null default now()
    );
    create index audit_logs_account on audit_logs (account_id, id);

    create table idempotency_keys (
      scope text not null,
      key text not null,
      method text not null,
      path text not null,
      request_hash text not null,
      status_code integer,
      response_body text,
      locked_until timestamptz,
      created_at timestamptz not null default now(),
      primary key (scope, key)
    );
    create index idempotency_keys_created on idempotency_keys (created_at);

    create table rate_limit_counters (
      bucket text not null,
      window_start timestamptz not null,
      count integer not null,
      primary key (bucket, window_start)
    );
    create index rate_limit_counters_window on rate_limit_counters (window_start);
  `.execute(db);
}

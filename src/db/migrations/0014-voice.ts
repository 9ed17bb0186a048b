import { sql, type Kysely } from 'kysely';

/**
 * Phone calls: per-bot voice settings, one row per call (inbound or outbound, Sinch or Twilio), its
 * transcript turns with their latency, and the provider callbacks already answered, so a callback the
 * provider sends again gets the same answer instead of running the conversation twice. A call belongs
 * to its end user and conversation: erasing either erases the call, its transcript and its recording
 * link. Talk time is counted per day for plan minutes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table bots add column voice jsonb not null default '{}';
    alter table usage_daily add column call_seconds bigint not null default 0;

    create table calls (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      end_user_id text references end_users(id) on delete cascade,
      conversation_id text references conversations(id) on delete cascade,
      provider text not null check (provider in ('sinch', 'twilio')),
      provider_call_id text,
      direction text not null check (direction in ('inbound', 'outbound')),
      from_number text not null,
      to_number text not null,
      status text not null check (status in ('queued', 'ringing', 'in_progress', 'completed', 'busy', 'no_answer', 'failed', 'canceled', 'rejected')),
      result text,
      reason text,
      purpose text,
      amd boolean not null default false,
      answered_by text,
      locale text not null,
      -- Sinch: the regional origin that manages this call (from the ICE callResourceUrl, or the callout's).
      manage_origin text,
      -- Silences in a row, for re-prompting and then ending the call politely.
      silences integer not null default 0,
      -- An offer waiting for a yes (the calendar link by SMS when no one can take the call).
      offer text,
      transferred_to text,
      transferred_at timestamptz,
      recording_url text,
      duration_seconds integer,
      cost double precision,
      currency text,
      error_message text,
      answered_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index calls_provider_id on calls (provider, provider_call_id) where provider_call_id is not null;
    create index calls_account on calls (account_id, id);
    create index calls_bot on calls (bot_id, id);
    create index calls_user on calls (end_user_id, id);

    create table call_turns (
      id text primary key,
      call_id text not null references calls(id) on delete cascade,
      role text not null check (role in ('caller', 'bot', 'operator')),
      -- speech, greeting, reprompt, goodbye, transfer, voicemail, hold, notice
      kind text not null,
      text text not null,
      message_id text references messages(id) on delete set null,
      -- Bot turns: from the callback arriving to the answer leaving the server, and the conversation engine's share.
      latency_ms integer,
      engine_ms integer,
      -- Operator words waiting to be spoken at the caller's next turn.
      pending boolean not null default false,
      created_at timestamptz not null default now()
    );
    create index call_turns_call on call_turns (call_id, id);
    create index call_turns_pending on call_turns (call_id) where pending;

    create table call_events (
      key text primary key,
      call_id text not null references calls(id) on delete cascade,
      -- What was answered; null while the first delivery is still being answered.
      response text,
      created_at timestamptz not null default now()
    );
    create index call_events_call on call_events (call_id);
  `.execute(db);
}

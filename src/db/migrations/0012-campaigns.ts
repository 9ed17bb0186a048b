import { sql, type Kysely } from 'kysely';

/**
 * Bulk SMS campaigns. The audience is snapshotted into `campaign_recipients` when the campaign is
 * created (one row per end user), and every count the API shows is derived from those rows and the
 * SMS each one became, so no counter can drift from what happened.
 *
 * A recipient moves pending → queued (its sms_messages row, with the send key
 * `campaign:<campaign>:<end user>`, is written in the same transaction) or → skipped / failed /
 * canceled. `not_before` is set when quiet hours defer it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table campaigns (
      id text primary key,
      account_id text not null references accounts(id) on delete cascade,
      bot_id text not null references bots(id) on delete cascade,
      channel text not null default 'sms' check (channel in ('sms')),
      message text not null,
      audience jsonb not null,
      status text not null check (status in ('scheduled', 'queued', 'sending', 'completed', 'canceled')),
      schedule_at timestamptz,
      quiet_hours boolean not null default true,
      rate_per_second integer not null check (rate_per_second > 0),
      -- The job queue (JOBS_SCHEMA) that runs it: servers sharing a database but not their jobs leave
      -- each other's campaigns alone.
      jobs_schema text not null,
      -- The dispatcher run working on the campaign and when it last said it is alive: a run whose
      -- heartbeat is stale is presumed dead and another takes over (see features/campaigns/dispatcher.ts).
      dispatcher_id text,
      heartbeat_at timestamptz,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      completed_at timestamptz,
      canceled_at timestamptz,
      updated_at timestamptz not null default now()
    );
    create index campaigns_account on campaigns (account_id, id);
    create index campaigns_active on campaigns (jobs_schema, status) where status in ('scheduled', 'queued', 'sending');

    create table campaign_recipients (
      campaign_id text not null references campaigns(id) on delete cascade,
      -- An erased end user leaves the campaign with everything else of theirs.
      end_user_id text not null references end_users(id) on delete cascade,
      state text not null default 'pending' check (state in ('pending', 'queued', 'skipped', 'failed', 'canceled')),
      reason text,
      not_before timestamptz,
      -- No foreign key: erasing SMS rows in bulk would scan this table once per row.
      sms_message_id text,
      updated_at timestamptz not null default now(),
      primary key (campaign_id, end_user_id)
    );
    create index campaign_recipients_pending on campaign_recipients (campaign_id, not_before) where state = 'pending';
    create index campaign_recipients_user on campaign_recipients (end_user_id);

    -- The send service picks the number a person last texted (features/sms/numbers.ts) on every send:
    -- without this index that lookup reads all of sms_messages, once per text of a campaign.
    create index sms_messages_inbound_from on sms_messages (bot_id, from_number, id) where direction = 'inbound';
  `.execute(db);
}

import { sql, type Kysely } from 'kysely';

/**
 * Per-bot conversation policy (age gate, blocked topics, AI disclosure), the running summary's
 * high-water mark, de-duplication keys for imported history, and daily usage counters.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table bots add column policy jsonb not null default '{}';
    alter table conversations add column summary_through text;
    alter table messages add column import_key text;
    create unique index messages_import_key on messages (conversation_id, import_key) where import_key is not null;
    -- Kept when a bot is erased (usage is billed per account), so bot_id has no foreign key.
    create table usage_daily (
      account_id text not null references accounts(id) on delete cascade,
      day date not null,
      bot_id text not null,
      replies integer not null default 0,
      model_calls integer not null default 0,
      tokens_in bigint not null default 0,
      tokens_out bigint not null default 0,
      primary key (account_id, day, bot_id)
    );
  `.execute(db);
}

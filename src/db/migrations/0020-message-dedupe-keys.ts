import { sql, type Kysely } from 'kysely';

/**
 * messages.dedupe_key: a user message stored for a request that can be retried (an Idempotency-Key,
 * an inbound SMS job) carries a key derived from it, so the retry finds it instead of storing it
 * again; the reply to such a message carries the same key with `:reply`. Unique per account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table messages add column dedupe_key text;
    create unique index messages_dedupe_key on messages (account_id, dedupe_key) where dedupe_key is not null;
  `.execute(db);
}

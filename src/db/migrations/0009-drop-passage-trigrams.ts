import { sql, type Kysely } from 'kysely';

/**
 * Trigram matching over whole passages was too slow to use (word_similarity against 300-500-token
 * texts: about a second per short query at 5,000 passages) and costly to keep up on every insert.
 * Typo tolerance is to come from a per-bot dictionary of terms instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists knowledge_chunks_trgm`.execute(db);
}

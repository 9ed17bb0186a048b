import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { normalizeQuestion } from '../features/prompts/retrain-service.js';

/** Share of words two questions must have in common (Jaccard) for a curated answer to be used. */
export const RETRAINED_THRESHOLD = 0.6;

/**
 * The curated answer whose question best matches the message, if it is similar enough: word-level
 * Jaccard similarity computed in SQL on the normalised texts. A hit is counted unless `count` is false
 * (a dry run, such as conversation_inference).
 */
export async function matchRetrained(trx: Kysely<DB> | Transaction<DB>, botId: string, message: string, count = true) {
  const words = normalizeQuestion(message).split(' ').filter(Boolean);
  if (!words.length) return null;
  const row = await sql<{ id: string; response: string; score: number }>`
    select id, response, score from (
      select id, response,
        cardinality(array(select unnest(string_to_array(question_normalized, ' ')) intersect select unnest(${words}::text[])))::float
          / cardinality(array(select unnest(string_to_array(question_normalized, ' ')) union select unnest(${words}::text[]))) as score
      from retrained_responses where bot_id = ${botId}
    ) m where score >= ${RETRAINED_THRESHOLD} order by score desc, id limit 1`.execute(trx);
  const hit = row.rows[0];
  if (!hit || !count) return hit ?? null;
  await trx.updateTable('retrained_responses').set((eb) => ({ hits: eb('hits', '+', 1), last_hit_at: new Date() })).where('id', '=', hit.id).execute();
  return hit;
}

/** How many curated answers the prompt shows as examples. */
export const RETRAINED_EXAMPLES = 5;

/** The most used curated answers, shown to the model as examples of this bot's voice. */
export async function retrainedExamples(trx: Kysely<DB> | Transaction<DB>, botId: string, limit = RETRAINED_EXAMPLES) {
  return trx.selectFrom('retrained_responses').select(['question', 'response']).where('bot_id', '=', botId).orderBy('hits', 'desc').orderBy('id').limit(limit).execute();
}

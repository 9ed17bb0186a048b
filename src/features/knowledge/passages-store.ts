import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { newId } from '../../core/ids.js';
import type { Chunk } from './chunker.js';

export interface StoredPassage extends Chunk {
  /** Feed rows: the row's hash, so a refresh re-indexes only rows that changed. */
  rowHash?: string;
}

/** Inserts passages of a source in one statement (the rows travel as one JSON parameter). */
export async function insertPassages(trx: Transaction<DB>, source: { id: string; bot_id: string }, passages: StoredPassage[]): Promise<void> {
  if (!passages.length) return;
  const rows = passages.map((p) => ({ id: newId('chk'), position: p.position, heading: p.heading, content: p.content, tokens: p.tokens, row_hash: p.rowHash ?? null }));
  await sql`
    insert into knowledge_chunks (id, source_id, bot_id, position, heading, content, tokens, row_hash)
    select x.id, ${source.id}, ${source.bot_id}, x.position, x.heading, x.content, x.tokens, x.row_hash
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id text, position int, heading text, content text, tokens int, row_hash text)`.execute(trx);
}

/**
 * Swaps a source's passages for new ones: readers see the old set or the new one, never a mix.
 * Returns how many old passages went (the bot's dictionary wants pruning when some did).
 */
export async function replacePassages(trx: Transaction<DB>, source: { id: string; bot_id: string }, passages: StoredPassage[]): Promise<number> {
  const removed = await trx.deleteFrom('knowledge_chunks').where('source_id', '=', source.id).executeTakeFirst();
  await insertPassages(trx, source, passages);
  return Number(removed.numDeletedRows);
}

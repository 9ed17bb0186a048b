import { sha256Hex } from '../../core/crypto.js';
import type { AppDeps } from '../../core/context.js';
import { countTokens } from '../../engine/history.js';
import { fetchForKnowledge } from './fetching.js';
import type { SourceRow } from './ingest.js';
import { SourceError } from './source-error.js';
import { assertKnowledgeRoom } from './knowledge-limit.js';
import { insertPassages } from './passages-store.js';
import { schedulePrune } from './terms.js';
import { csvRows, jsonRows, rowToPassage } from './parsers/index.js';

/** The feed's rows, from JSON (an array of objects) or CSV, whichever the body is. */
function feedRows(body: Buffer): Array<Record<string, string>> {
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new SourceError('The feed looks like JSON but does not parse.');
    }
    return jsonRows(value);
  }
  return csvRows(text);
}

/**
 * Fetches a CSV or JSON feed and brings its passages in line with its rows: rows are hashed, so only
 * new or changed rows are indexed and removed rows leave the index; unchanged rows are not touched.
 */
export async function ingestFeed(deps: AppDeps, feed: SourceRow): Promise<void> {
  const fetched = await fetchForKnowledge(deps, feed.url!);
  const texts = new Map<string, string>();
  for (const row of feedRows(fetched.body)) {
    const text = rowToPassage(row);
    if (text) texts.set(sha256Hex(text), text);
  }
  if (!texts.size) throw new SourceError('The feed has no rows.');
  await deps.db.transaction().execute(async (trx) => {
    await assertKnowledgeRoom(trx, deps, feed.account_id, fetched.body.length - Number(feed.bytes ?? 0));
    const existing = new Set((await trx.selectFrom('knowledge_chunks').select('row_hash').where('source_id', '=', feed.id).execute()).map((r) => r.row_hash));
    const gone = [...existing].filter((h): h is string => h !== null && !texts.has(h));
    if (gone.length) {
      await trx.deleteFrom('knowledge_chunks').where('source_id', '=', feed.id).where('row_hash', 'in', gone).execute();
      await schedulePrune(deps.jobs, feed.bot_id, trx);
    }
    const fresh = [...texts].filter(([hash]) => !existing.has(hash));
    await insertPassages(trx, feed, fresh.map(([hash, content], i) => ({ position: existing.size + i, heading: null, content, tokens: countTokens(content), rowHash: hash })));
    const now = new Date();
    await trx
      .updateTable('knowledge_sources')
      .set({ rows: texts.size, chunks: texts.size, bytes: fetched.body.length, fetched_at: now, next_refresh_at: new Date(now.getTime() + (feed.refresh_minutes ?? 60) * 60_000) })
      .where('id', '=', feed.id)
      .execute();
  });
}

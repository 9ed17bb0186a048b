import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';

export interface Passage {
  chunk_id: string;
  source_id: string;
  kind: 'file' | 'page' | 'feed';
  /** The document's title, or its filename, or its URL: what a person would call it. */
  title: string | null;
  filename: string | null;
  url: string | null;
  heading: string | null;
  content: string;
  tokens: number;
  score: number;
}

/** What a reply names as its sources: one entry per document, in the order its passages ranked. */
export interface SourceRef {
  source_id: string;
  kind: string;
  title: string | null;
  filename: string | null;
  url: string | null;
}

/**
 * A bot's passages ranked for a query by PostgreSQL full-text search: any of the query's words
 * (stemmed, stop words dropped), ranked by ts_rank_cd. `budget` keeps the best passages whose tokens
 * fit it.
 */
export async function retrievePassages(
  q: Kysely<DB> | Transaction<DB>,
  botId: string,
  query: string,
  opts: { limit: number; budget?: number },
): Promise<Passage[]> {
  const text = query.trim().slice(0, 1000);
  if (!text) return [];
  // Conversational questions: a passage need not contain every word, so the words are OR-ed.
  const tsq = sql`replace(websearch_to_tsquery('english', ${text})::text, ' & ', ' | ')::tsquery`;
  const { rows } = await sql<Passage>`
    with q as (select ${tsq} as tsq)
    select c.id as chunk_id, c.source_id, s.kind, coalesce(s.title, parent.title) as title, s.filename, s.url, c.heading, c.content, c.tokens,
      ts_rank_cd(c.tsv, q.tsq)::float as score
    from q, knowledge_chunks c
    join knowledge_sources s on s.id = c.source_id
    left join knowledge_sources parent on parent.id = s.parent_id
    where c.bot_id = ${botId} and c.tsv @@ q.tsq
    order by score desc, c.id
    limit ${opts.limit}`.execute(q);
  if (opts.budget === undefined) return rows;
  const kept: Passage[] = [];
  let used = 0;
  for (const p of rows) {
    if (used + p.tokens > opts.budget) continue;
    kept.push(p);
    used += p.tokens;
  }
  return kept;
}

/** The documents behind some passages, once each, best first. */
export function sourcesOf(passages: Passage[]): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const p of passages) {
    if (!seen.has(p.source_id)) seen.set(p.source_id, { source_id: p.source_id, kind: p.kind, title: p.title, filename: p.filename, url: p.url });
  }
  return [...seen.values()];
}

import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { AppDeps } from '../../core/context.js';
import { reciprocalRankFusion } from './rank-fusion.js';
import { MIN_TERM_LENGTH, quotedLexeme } from './terms.js';
import { embedQuery, vectorRanked } from './vector-search.js';

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

/** Candidates: passages holding every query word, and for each word some passages holding it. */
const ALL_WORDS_CANDIDATES = 200;
const ONE_WORD_CANDIDATES = { max: 100, min: 20, total: 800 };
/** Words read from a query: a long message is cut here. */
const MAX_QUERY_WORDS = 32;
/** In hybrid mode, how deep each ranking goes before they are fused. */
const FUSION_DEPTH = 30;

/** A question's embedding, and the model that made it (only that model's passage vectors compare). */
export interface QueryVector {
  vector: number[];
  model: string;
}

/**
 * The question's vector when retrieval is hybrid and the bot has knowledge, else null. Ask for it
 * before opening a transaction: a provider call must not hold the turn's locks.
 */
export async function queryVector(deps: Pick<AppDeps, 'db' | 'embeddings' | 'config' | 'log'>, botId: string, query: string): Promise<QueryVector | null> {
  if (!deps.embeddings) return null;
  const known = await deps.db.selectFrom('knowledge_sources').select('id').where('bot_id', '=', botId).limit(1).executeTakeFirst();
  if (!known) return null;
  const vector = await embedQuery(deps, query);
  return vector ? { vector, model: deps.embeddings.model } : null;
}

/**
 * The engine's retrieval: a bot's best passages for a query, at most `limit`, of which `budget`
 * (tokens) keeps the best that fit. Full-text ranking (see fullTextRanked), fused in hybrid mode
 * (when `vector` is given) with the passages nearest to the question's embedding by reciprocal rank
 * fusion: a passage that says the same thing in other words is found too. The score is ts_rank_cd,
 * or the fused score in hybrid mode.
 */
export async function retrievePassages(
  q: Kysely<DB> | Transaction<DB>,
  botId: string,
  query: string,
  opts: { limit: number; budget?: number; vector?: QueryVector | null },
): Promise<Passage[]> {
  const text = query.trim().slice(0, 1000);
  if (!text) return [];
  let ranked = await fullTextRanked(q, botId, text, opts.vector ? Math.max(FUSION_DEPTH, opts.limit) : opts.limit);
  if (opts.vector) {
    const near = await vectorRanked(q, botId, opts.vector.vector, Math.max(FUSION_DEPTH, opts.limit), opts.vector.model);
    ranked = reciprocalRankFusion([ranked.map((r) => r.id), near.map((n) => n.chunk_id)]).slice(0, opts.limit);
  }
  const passages = await passagesByIds(q, ranked);
  if (opts.budget === undefined) return passages;
  const kept: Passage[] = [];
  let used = 0;
  for (const p of passages) {
    if (used + p.tokens > opts.budget) continue;
    kept.push(p);
    used += p.tokens;
  }
  return kept;
}

/**
 * A bot's passages ranked for a query by PostgreSQL full-text search:
 * 1. the query's words are stemmed (to_tsvector, stop words dropped); a word of 4 letters or more
 *    that none of the bot's passages holds is replaced by the closest word they do hold (trigram
 *    similarity over the bot's dictionary, see terms.ts), so "restaurnat" finds "restaurant";
 * 2. candidates are the passages holding all the words (up to 200) and, for each word, up to 100
 *    passages holding it: a rare word brings every passage it is in, a common one a sample, so
 *    ranking reads about a thousand passages at most, however large the knowledge base;
 * 3. candidates are ranked by ts_rank_cd against any of the words.
 */
async function fullTextRanked(q: Kysely<DB> | Transaction<DB>, botId: string, text: string, limit: number): Promise<Array<{ id: string; score: number }>> {
  const words = Math.min(MAX_QUERY_WORDS, text.split(/\s+/).length);
  const perWord = Math.max(ONE_WORD_CANDIDATES.min, Math.min(ONE_WORD_CANDIDATES.max, Math.floor(ONE_WORD_CANDIDATES.total / words)));
  const term = quotedLexeme(sql.ref('t.term'));
  const { rows } = await sql<{ id: string; score: number }>`
    with words as (
      select w.lexeme as word from unnest(to_tsvector('english', ${text})) w limit ${MAX_QUERY_WORDS}
    ),
    terms as (
      select coalesce(
        (select k.term from knowledge_terms k where k.bot_id = ${botId} and k.term = w.word),
        (select k.term from knowledge_terms k
          where length(w.word) >= ${MIN_TERM_LENGTH} and k.bot_id = ${botId} and k.term % w.word
          order by similarity(k.term, w.word) desc, k.term limit 1),
        w.word) as term
      from words w
    ),
    q as (
      select string_agg(${term}, ' & ')::tsquery as all_words, string_agg(${term}, ' | ')::tsquery as any_word from terms t
    ),
    candidates as (
      (select c.id from q, knowledge_chunks c where c.bot_id = ${botId} and c.tsv @@ q.all_words limit ${ALL_WORDS_CANDIDATES})
      union
      select x.id from terms t cross join lateral (
        select c.id from knowledge_chunks c where c.bot_id = ${botId} and c.tsv @@ (${term})::tsquery limit ${perWord}
      ) x
    )
    select c.id, ts_rank_cd(c.tsv, q.any_word)::float as score
    from q, candidates
    join knowledge_chunks c on c.id = candidates.id
    order by score desc, c.id
    limit ${limit}`.execute(q);
  return rows;
}

/** Passages with their documents, in the order and with the scores given. */
async function passagesByIds(q: Kysely<DB> | Transaction<DB>, ranked: Array<{ id: string; score: number }>): Promise<Passage[]> {
  if (!ranked.length) return [];
  const { rows } = await sql<Omit<Passage, 'score'>>`
    select c.id as chunk_id, c.source_id, s.kind, coalesce(s.title, parent.title) as title, s.filename, s.url, c.heading, c.content, c.tokens
    from knowledge_chunks c
    join knowledge_sources s on s.id = c.source_id
    left join knowledge_sources parent on parent.id = s.parent_id
    where c.id = any(${ranked.map((r) => r.id)}::text[])`.execute(q);
  const byId = new Map(rows.map((r) => [r.chunk_id, r]));
  // A passage deleted between the two statements is simply left out.
  return ranked.flatMap((r) => {
    const row = byId.get(r.id);
    return row ? [{ ...row, score: r.score }] : [];
  });
}

/** The documents behind some passages, once each, best first. */
export function sourcesOf(passages: Passage[]): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const p of passages) {
    if (!seen.has(p.source_id)) seen.set(p.source_id, { source_id: p.source_id, kind: p.kind, title: p.title, filename: p.filename, url: p.url });
  }
  return [...seen.values()];
}

import { sql, type Kysely, type Transaction } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import type { DB } from '../../db/schema.js';
import { toVectorLiteral } from './embeddings-store.js';

export interface VectorHit {
  chunk_id: string;
  /** Cosine distance: 0 same direction, 1 unrelated, 2 opposite. */
  distance: number;
}

/**
 * A bot's k passages nearest to a query vector (pgvector's cosine distance `<=>`). Only vectors of
 * the query's dimension are compared (pgvector refuses a mismatch outright), and of `model` when
 * given: vectors from a model used before are meaningless next to the current one's. Call it only in
 * hybrid mode: the table does not exist otherwise.
 */
export async function vectorRanked(q: Kysely<DB> | Transaction<DB>, botId: string, queryEmbedding: number[], k: number, model?: string): Promise<VectorHit[]> {
  if (!queryEmbedding.length || k <= 0) return [];
  const { rows } = await sql<VectorHit>`
    with q as (select ${toVectorLiteral(queryEmbedding)}::vector as v)
    select e.chunk_id, (e.embedding <=> q.v)::float8 as distance
    from q, knowledge_embeddings e
    where e.bot_id = ${botId} and vector_dims(e.embedding) = ${queryEmbedding.length}
      ${model === undefined ? sql`` : sql`and e.model = ${model}`}
    order by distance, e.chunk_id
    limit ${k}`.execute(q);
  return rows;
}

/**
 * The vector of a user's question, or null when there is none to be had: full-text mode, an empty
 * question, or a provider that failed or was slow (retrieval then goes on with full-text alone; a
 * reply is not held up for it). Waits at most EMBEDDING_QUERY_TIMEOUT_MS, without retries.
 */
export async function embedQuery(deps: Pick<AppDeps, 'embeddings' | 'config' | 'log'>, query: string): Promise<number[] | null> {
  const text = query.trim().slice(0, 2000);
  if (!deps.embeddings || !text) return null;
  try {
    const [vector] = await deps.embeddings.embed([text], { timeoutMs: deps.config.EMBEDDING_QUERY_TIMEOUT_MS, retries: 0 });
    return vector ?? null;
  } catch (err) {
    // The error names the provider and status, never the question.
    deps.log.warn({ err }, 'query embedding failed; knowledge retrieval falls back to full-text');
    return null;
  }
}

import type { Transaction } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import type { DB } from '../../db/schema.js';
import { chunksWithoutEmbedding, storeEmbeddings, type ChunkToEmbed } from './embeddings-store.js';

export const EMBED_JOB = 'knowledge.embed';

/**
 * Queues the vectors of a source that just became ready, in the transaction that says so: the job
 * exists exactly when the new passages do. Nothing to do in full-text mode.
 */
export async function queueEmbedding(deps: AppDeps, trx: Transaction<DB>, sourceId: string): Promise<void> {
  if (deps.embeddings) await deps.jobs.send(EMBED_JOB, { source_id: sourceId }, { trx });
}

/** What is embedded: the heading path gives a passage cut from its section its context back. */
const passageText = (c: ChunkToEmbed) => (c.heading ? `${c.heading}\n\n${c.content}` : c.content);

/**
 * Embeds a source's passages that have no vector yet, one provider request per batch, each batch
 * stored before the next: a failed run retried by the queue resumes where it stopped. Passages
 * replaced meanwhile are not embedded (their ids are gone); the new set has its own job.
 */
export async function embedSource(deps: AppDeps, sourceId: string): Promise<number> {
  const provider = deps.embeddings;
  if (!provider) return 0; // queued before a restart without EMBEDDING_MODEL or pgvector
  const tried = new Set<string>();
  let stored = 0;
  for (;;) {
    const batch = await chunksWithoutEmbedding(deps.db, sourceId, provider.model, provider.batchSize);
    if (!batch.length) break;
    // A passage that comes back after an insert did not store it would loop forever: fail the run instead.
    if (batch.some((c) => tried.has(c.id))) throw new Error(`knowledge.embed: vectors of source ${sourceId} were not stored`);
    batch.forEach((c) => tried.add(c.id));
    const vectors = await provider.embed(batch.map(passageText));
    stored += await storeEmbeddings(deps.db, provider.model, batch.map((c, i) => ({ chunkId: c.id, embedding: vectors[i]! })));
  }
  // Counts only: passage text is user content and stays out of logs.
  deps.log.info({ source_id: sourceId, passages: stored, model: provider.model }, 'knowledge passages embedded');
  return stored;
}

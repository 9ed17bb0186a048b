import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { createEmbeddings } from '../../providers/embeddings/index.js';
import type { EmbeddingsPort } from '../../providers/embeddings/port.js';
import { prepareVectorStore } from './embeddings-store.js';

/** How knowledge is searched in this process, decided once at start. */
export type RetrievalMode = { mode: 'hybrid' } | { mode: 'full-text'; reason: string };

/**
 * Hybrid retrieval needs both an embedding model and pgvector. Without either the server still
 * works, searching full-text only, and says why in /readyz. The provider exists only in hybrid mode,
 * so `embeddings !== null` is the one switch the rest of the code looks at.
 */
export async function startRetrieval(config: Config, db: Database, log: Logger): Promise<{ retrieval: RetrievalMode; embeddings: EmbeddingsPort | null }> {
  if (!config.EMBEDDING_MODEL) return { retrieval: { mode: 'full-text', reason: 'EMBEDDING_MODEL not set' }, embeddings: null };
  const store = await prepareVectorStore(db);
  if (!store.available) {
    // A server without the package is a normal setup (info); one that has it but refused is an operator's to fix.
    if (store.error) log.warn({ reason: store.reason, err: store.error }, 'knowledge retrieval is full-text only');
    else log.info({ reason: store.reason }, 'knowledge retrieval is full-text only');
    return { retrieval: { mode: 'full-text', reason: store.reason }, embeddings: null };
  }
  return { retrieval: { mode: 'hybrid' }, embeddings: createEmbeddings(config) };
}

/** The /readyz wording: 'hybrid' or 'full-text (why)'. */
export const describeRetrieval = (r: RetrievalMode) => (r.mode === 'hybrid' ? 'hybrid' : `full-text (${r.reason})`);

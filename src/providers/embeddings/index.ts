import type { Config } from '../../config.js';
import { openAiEmbeddings } from './openai-embeddings.js';
import type { EmbeddingsPort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/**
 * The embeddings provider when EMBEDDING_MODEL is set: EMBEDDING_BASE_URL, else the LLM's server.
 * The LLM's key goes only to the LLM's server; another server gets EMBEDDING_API_KEY or nothing.
 */
export function createEmbeddings(config: Config): EmbeddingsPort | null {
  if (!config.EMBEDDING_MODEL) return null;
  const ownServer = config.EMBEDDING_BASE_URL !== undefined;
  return instrumented('embeddings', openAiEmbeddings({
    baseUrl: config.EMBEDDING_BASE_URL ?? config.LLM_BASE_URL ?? 'https://api.openai.com/v1',
    apiKey: config.EMBEDDING_API_KEY ?? (ownServer ? undefined : config.LLM_API_KEY),
    model: config.EMBEDDING_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
  }));
}

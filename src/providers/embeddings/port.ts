/** Turns texts into vectors for knowledge retrieval (see features/knowledge/embed-passages.ts). */
export interface EmbedOptions {
  /** Overrides the configured time limit of each request (a user's question waits on it). */
  timeoutMs?: number;
  /** Retries of a failed request; the adapter's default when unset. */
  retries?: number;
}

export interface EmbeddingsPort {
  readonly provider: string;
  /** Stored with every vector: vectors of different models are never compared. */
  readonly model: string;
  /** Most texts sent in one request; callers that store progress work in batches of this size. */
  readonly batchSize: number;
  /** One vector per text, in the texts' order. */
  embed(texts: string[], opts?: EmbedOptions): Promise<number[][]>;
}

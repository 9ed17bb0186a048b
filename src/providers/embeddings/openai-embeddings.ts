import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { ProviderError } from '../../core/errors.js';
import type { EmbeddingsPort } from './port.js';

export interface OpenAiEmbeddingsOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  /** Inputs per request: OpenAI takes 2048, but self-hosted servers (vLLM, Ollama, TEI) often far fewer. */
  batchSize?: number;
}

/** Any server that speaks OpenAI's /v1/embeddings, through the official client (one retry by default). */
export function openAiEmbeddings(opts: OpenAiEmbeddingsOptions): EmbeddingsPort {
  const client = new OpenAI({ baseURL: opts.baseUrl.replace(/\/+$/, ''), apiKey: opts.apiKey ?? 'unused', timeout: opts.timeoutMs, maxRetries: 1 });
  const batchSize = opts.batchSize ?? 96;

  async function request(input: string[], timeoutMs: number, retries: number | undefined): Promise<number[][]> {
    try {
      // 'float' explicitly: the SDK would ask for base64, which several compatible servers do not speak.
      const res = await client.embeddings.create(
        { model: opts.model, input, encoding_format: 'float' },
        { timeout: timeoutMs, ...(retries === undefined ? {} : { maxRetries: retries }) },
      );
      const ordered = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      if (ordered.length !== input.length || ordered.some((v) => !Array.isArray(v) || !v.length || v.some((x) => !Number.isFinite(x)))) {
        throw new ProviderError('embeddings', `the embeddings server answered ${ordered.length} usable vectors for ${input.length} texts`);
      }
      return ordered;
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (err instanceof APIConnectionTimeoutError) throw new ProviderError('embeddings', `no answer within ${timeoutMs} ms`, true);
      if (err instanceof APIError && err.status) throw new ProviderError('embeddings', `the embeddings server answered ${err.status}`);
      throw new ProviderError('embeddings', 'the embeddings server could not be reached');
    }
  }

  return {
    provider: 'embeddings',
    model: opts.model,
    batchSize,
    async embed(texts, o = {}) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await request(texts.slice(i, i + batchSize), o.timeoutMs ?? opts.timeoutMs, o.retries)));
      return out;
    },
  };
}

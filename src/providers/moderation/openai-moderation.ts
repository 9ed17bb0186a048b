import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { ProviderError } from '../../core/errors.js';
import type { ModerationPort } from './port.js';

export interface OpenAiModerationOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  /** Categories that refuse a message. Adult sexual content is this product's purpose, so `sexual` is not one by default. */
  blockCategories: string[];
}

/**
 * Any server that speaks OpenAI's /v1/moderations, through the official client (one retry). Only the
 * configured categories count: the provider's own `flagged` would refuse consenting adult content.
 */
export function openAiModeration(opts: OpenAiModerationOptions): ModerationPort {
  const client = new OpenAI({ baseURL: opts.baseUrl.replace(/\/+$/, ''), apiKey: opts.apiKey ?? 'unused', timeout: opts.timeoutMs, maxRetries: 1 });
  const blockable = new Set(opts.blockCategories);
  return {
    provider: 'moderation',
    async check(text) {
      try {
        const res = await client.moderations.create({ model: opts.model, input: text });
        const categories = (res.results[0]?.categories ?? {}) as unknown as Record<string, boolean>;
        return { blocked: Object.keys(categories).filter((c) => categories[c] === true && blockable.has(c)) };
      } catch (err) {
        if (err instanceof APIConnectionTimeoutError) throw new ProviderError('moderation', `no answer within ${opts.timeoutMs} ms`, true);
        if (err instanceof APIError && err.status) throw new ProviderError('moderation', `the moderation server answered ${err.status}`);
        throw new ProviderError('moderation', 'the moderation server could not be reached');
      }
    },
  };
}

import type { Config } from '../../config.js';
import { openAiModeration } from './openai-moderation.js';
import type { ModerationPort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/** The moderation provider when MODERATION_BASE_URL is set; otherwise only the hard limits and blocked topics apply. */
export function createModeration(config: Config): ModerationPort | null {
  if (!config.MODERATION_BASE_URL) return null;
  return instrumented('moderation', openAiModeration({
    baseUrl: config.MODERATION_BASE_URL,
    apiKey: config.MODERATION_API_KEY,
    model: config.MODERATION_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    blockCategories: config.MODERATION_BLOCK_CATEGORIES,
  }));
}

import type { Config } from '../../config.js';
import { openAiCompatible } from './openai-compatible.js';
import type { LlmPort, LlmResult } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';
import { modelTokens } from '../../core/observability/metrics.js';

/**
 * Tokens by model, for /metrics. Bots may name any model, so only the configured ones get a series
 * of their own; the rest count as `other` (a label per tenant's whim would grow without bound).
 */
function tokenCounter(known: Set<string>) {
  return (value: unknown): void => {
    const r = value as LlmResult;
    const model = known.has(r.model) ? r.model : 'other';
    modelTokens.inc({ model, kind: 'input' }, r.usage.inputTokens);
    modelTokens.inc({ model, kind: 'output' }, r.usage.outputTokens);
  };
}

/**
 * The model behind the bots, chosen from configuration: an OpenAI-compatible server when LLM_BASE_URL
 * or LLM_API_KEY is set (or LLM_PROVIDER says so), else none, and the engine answers in its builtin
 * mode (curated answers only, labelled as such) so a fresh `npm start` works offline.
 */
export function createLlm(config: Config): LlmPort | null {
  const provider = config.LLM_PROVIDER ?? (config.LLM_BASE_URL || config.LLM_API_KEY ? 'openai-compatible' : 'builtin');
  if (provider === 'builtin') return null;
  if (provider === 'anthropic') throw new Error('LLM_PROVIDER: anthropic is not available in this version; use openai-compatible or builtin');
  const port = openAiCompatible({
    baseUrl: config.LLM_BASE_URL ?? 'https://api.openai.com/v1',
    apiKey: config.LLM_API_KEY,
    defaultModel: config.LLM_MODEL ?? 'gpt-4o-mini',
    timeoutMs: config.LLM_TIMEOUT_MS,
    fallbackModel: config.LLM_FALLBACK_MODEL,
  });
  const known = new Set([config.LLM_MODEL ?? 'gpt-4o-mini', config.LLM_FALLBACK_MODEL].filter((m): m is string => !!m));
  return instrumented('llm', port, tokenCounter(known));
}

import { APICallError, generateText, streamText, type LanguageModel } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ProviderError } from '../../core/errors.js';
import type { LlmPort, LlmRequest, LlmResult, LlmStream } from './port.js';

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  defaultModel: string;
  timeoutMs: number;
  /** Shown in errors: "llm" unless the operator names it. */
  name?: string;
}

/**
 * Any server that speaks OpenAI's /v1/chat/completions (OpenAI, OpenRouter, vLLM, llama.cpp, Ollama,
 * LM Studio), through the AI SDK. One retry on a retryable failure (429, 5xx, network); a timeout or a
 * final failure becomes a ProviderError (504/502) that names the provider and never its key.
 */
const RETRY_PAUSE_MS = 250;

export function openAiCompatible(opts: OpenAiCompatibleOptions): LlmPort {
  const name = opts.name ?? 'llm';
  const provider = createOpenAICompatible({ name, baseURL: opts.baseUrl.replace(/\/+$/, ''), apiKey: opts.apiKey, includeUsage: true });
  const model = (id: string | null | undefined): LanguageModel => provider.chatModel(id || opts.defaultModel);

  // Retries are ours, not the SDK's (whose first back-off is 2 s): one more try after a short pause.
  const settings = (req: LlmRequest, timeout: AbortSignal = AbortSignal.timeout(opts.timeoutMs)) => ({
    model: model(req.model),
    // The persona goes in the SDK's `system` field, which it keeps apart from the conversation.
    system: req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n') || undefined,
    messages: req.messages.filter((m) => m.role !== 'system') as Array<{ role: 'user' | 'assistant'; content: string }>,
    temperature: req.temperature,
    maxOutputTokens: req.maxTokens,
    maxRetries: 0,
    abortSignal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
  });

  const isTimeout = (err: unknown) => {
    const e = err as { name?: string; cause?: { name?: string } } | null;
    return e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError';
  };
  const retryable = (err: unknown) => !isTimeout(err) && (!APICallError.isInstance(err) || err.isRetryable);

  const fail = (err: unknown): never => {
    if (err instanceof ProviderError) throw err;
    if (isTimeout(err)) throw new ProviderError(name, `no answer within ${opts.timeoutMs} ms`, true);
    if (APICallError.isInstance(err)) throw new ProviderError(name, `the model server answered ${err.statusCode ?? 'with an error'}`);
    throw new ProviderError(name, 'the model server could not be reached');
  };

  const toResult = (text: string, modelId: string, usage: { inputTokens?: number | undefined; outputTokens?: number | undefined }): LlmResult => ({
    text,
    model: modelId,
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 },
  });

  return {
    provider: name,
    async generate(req) {
      for (let attempt = 0; ; attempt++) {
        try {
          const out = await generateText(settings(req));
          return toResult(out.text, out.response.modelId ?? req.model ?? opts.defaultModel, out.usage);
        } catch (err) {
          if (attempt > 0 || !retryable(err)) return fail(err);
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        }
      }
    },
    stream(req): LlmStream {
      let resolve!: (r: LlmResult) => void;
      let reject!: (e: unknown) => void;
      const result = new Promise<LlmResult>((res, rej) => ((resolve = res), (reject = rej)));
      result.catch(() => undefined); // also surfaced through `deltas`
      const deltas = (async function* () {
        for (let attempt = 0; ; attempt++) {
          let error: unknown = null;
          let text = '';
          // A stream may run long; what times out is silence: no first chunk, or a gap between chunks.
          const idle = new AbortController();
          let timer = setTimeout(() => idle.abort(new DOMException('idle', 'TimeoutError')), opts.timeoutMs);
          const out = streamText({ ...settings(req, idle.signal), onError: ({ error: e }) => void (error = e) });
          try {
            for await (const delta of out.textStream) {
              clearTimeout(timer);
              timer = setTimeout(() => idle.abort(new DOMException('idle', 'TimeoutError')), opts.timeoutMs);
              text += delta;
              yield delta;
            }
            if (!error) {
              const [usage, response] = await Promise.all([out.usage, out.response]);
              resolve(toResult(text, response.modelId ?? req.model ?? opts.defaultModel, usage));
              return;
            }
          } catch (err) {
            error ??= err;
          } finally {
            clearTimeout(timer);
          }
          // A stream may be retried only while nothing of it has reached the caller.
          if (attempt > 0 || text || !retryable(error)) {
            try {
              fail(error);
            } catch (e) {
              reject(e);
              throw e;
            }
          }
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        }
      })();
      return { deltas, result };
    },
  };
}

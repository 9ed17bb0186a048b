import { APICallError, generateText, jsonSchema, streamText, tool, type LanguageModel, type ToolSet } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ProviderError } from '../../core/errors.js';
import type { LlmPort, LlmRequest, LlmResult, LlmStream } from './port.js';

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  defaultModel: string;
  timeoutMs: number;
  /** Tried (once, with its own retry) when the bot's model fails. */
  fallbackModel?: string | undefined;
  /** Shown in errors: "llm" unless the operator names it. */
  name?: string;
}

/**
 * Any server that speaks OpenAI's /v1/chat/completions (OpenAI, OpenRouter, vLLM, llama.cpp, Ollama,
 * LM Studio), through the AI SDK. One retry on a retryable failure (429, 5xx, network), then the
 * fallback model if one is configured; a timeout or a final failure becomes a ProviderError (504/502)
 * that names the provider and never its key.
 */
const RETRY_PAUSE_MS = 250;

const NO_ARGUMENTS = jsonSchema<Record<string, never>>({ type: 'object', properties: {}, additionalProperties: false });

export function openAiCompatible(opts: OpenAiCompatibleOptions): LlmPort {
  const name = opts.name ?? 'llm';
  const provider = createOpenAICompatible({ name, baseURL: opts.baseUrl.replace(/\/+$/, ''), apiKey: opts.apiKey, includeUsage: true });
  // One model object per id: building one compiles its response schemas, too costly for every call.
  const models = new Map<string, LanguageModel>();
  const model = (id: string): LanguageModel => {
    let m = models.get(id);
    if (!m) {
      if (models.size >= 100) models.clear();
      models.set(id, (m = provider.chatModel(id)));
    }
    return m;
  };

  // Retries are ours, not the SDK's (whose first back-off is 2 s): one more try after a short pause.
  const settings = (req: LlmRequest, modelId: string, timeout: AbortSignal = AbortSignal.timeout(opts.timeoutMs)) => ({
    model: model(modelId),
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

  /** The request's tools as the SDK takes them: no arguments, and no `execute` (the caller acts on the call). */
  const toolSet = (req: LlmRequest): ToolSet | undefined =>
    req.tools && Object.keys(req.tools).length
      ? Object.fromEntries(Object.entries(req.tools).map(([name, t]) => [name, tool({ description: t.description, inputSchema: NO_ARGUMENTS })]))
      : undefined;

  const toResult = (text: string, modelId: string, usage: { inputTokens?: number | undefined; outputTokens?: number | undefined }): LlmResult => ({
    text,
    model: modelId,
    usage: { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 },
  });

  /** The tries in order: the bot's model (or the default), its retry, then the fallback and its retry. */
  const tries = (req: LlmRequest) => {
    const models = [...new Set([req.model || opts.defaultModel, ...(opts.fallbackModel ? [opts.fallbackModel] : [])])];
    return models.flatMap((m) => [{ model: m, retry: false }, { model: m, retry: true }]);
  };
  /** After a failed try: skip a retry the error does not deserve; stop when the caller gave up. */
  const nextTry = (plan: ReturnType<typeof tries>, i: number, err: unknown, req: LlmRequest): number => {
    if (req.signal?.aborted) return -1;
    let j = i + 1;
    if (plan[j]?.retry && !retryable(err)) j++;
    return j < plan.length ? j : -1;
  };
  const pause = (plan: ReturnType<typeof tries>, j: number) => (plan[j]!.retry ? new Promise((r) => setTimeout(r, RETRY_PAUSE_MS)) : undefined);

  return {
    provider: name,
    async generate(req) {
      const plan = tries(req);
      for (let i = 0; ; ) {
        try {
          const tools = toolSet(req);
          const out = await generateText({ ...settings(req, plan[i]!.model), ...(tools ? { tools, toolChoice: 'auto' as const } : {}) });
          const result = toResult(out.text, out.response.modelId ?? plan[i]!.model, out.usage);
          return tools ? { ...result, toolCalls: out.toolCalls.map((c) => c.toolName) } : result;
        } catch (err) {
          const j = nextTry(plan, i, err, req);
          if (j < 0) return fail(err);
          await pause(plan, j);
          i = j;
        }
      }
    },
    stream(req): LlmStream {
      let resolve!: (r: LlmResult) => void;
      let reject!: (e: unknown) => void;
      const result = new Promise<LlmResult>((res, rej) => ((resolve = res), (reject = rej)));
      result.catch(() => undefined); // also surfaced through `deltas`
      const plan = tries(req);
      const deltas = (async function* () {
        for (let i = 0; ; ) {
          let error: unknown = null;
          let text = '';
          // A stream may run long; what times out is silence: no first chunk, or a gap between chunks.
          const idle = new AbortController();
          let timer = setTimeout(() => idle.abort(new DOMException('idle', 'TimeoutError')), opts.timeoutMs);
          const out = streamText({ ...settings(req, plan[i]!.model, idle.signal), onError: ({ error: e }) => void (error = e) });
          try {
            for await (const delta of out.textStream) {
              clearTimeout(timer);
              timer = setTimeout(() => idle.abort(new DOMException('idle', 'TimeoutError')), opts.timeoutMs);
              text += delta;
              yield delta;
            }
            if (!error) {
              const [usage, response] = await Promise.all([out.usage, out.response]);
              resolve(toResult(text, response.modelId ?? plan[i]!.model, usage));
              return;
            }
          } catch (err) {
            error ??= err;
          } finally {
            clearTimeout(timer);
          }
          // Another try only while nothing of this one has reached the caller.
          const j = text ? -1 : nextTry(plan, i, error, req);
          if (j < 0) {
            try {
              fail(error);
            } catch (e) {
              reject(e);
              throw e;
            }
          }
          await pause(plan, j);
          i = j;
        }
      })();
      return { deltas, result };
    },
  };
}

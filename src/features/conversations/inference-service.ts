import type { ServiceContext } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { builtinReply, KNOWLEDGE_TOKEN_BUDGET } from '../../engine/converse.js';
import { queryVector, retrievePassages, sourcesOf } from '../knowledge/retrieval.js';
import { moderate, refusalFor } from '../../engine/policy.js';
import { assemblePrompt } from '../../engine/prompt.js';
import { matchRetrained, retrainedExamples } from '../../engine/retrained.js';
import { loadBot } from '../bots/bot-access.js';
import { effectivePolicy } from '../prompts/policy-settings.js';
import type { InferenceInput } from './schemas.js';

/**
 * A dry run of the engine with any configuration: a bot's settings (or none) overridden by the
 * request, the conversation given in full by the caller. The same checks, curated answers and prompt
 * assembly as a real turn; nothing is stored, no hit is counted and no event is sent.
 */
export async function conversationInference({ ctx, input }: { ctx: ServiceContext; input: InferenceInput }) {
  const last = input.messages[input.messages.length - 1]!;
  if (last.role !== 'user') throw invalid(`messages.${input.messages.length - 1}.role`, 'The last message must be the user message to answer.');

  const saved = input.bot_id ? await loadBot(ctx, input.bot_id) : null;
  const bot = {
    name: saved?.name ?? 'Assistant',
    prompt: input.prompt ?? saved?.prompt ?? '',
    sliders: { ...(saved?.sliders ?? {}), ...(input.values ?? {}) },
    calendar_link: saved?.calendar_link ?? null,
    transfer_number: saved?.transfer_number ?? null,
    model: input.model ?? saved?.model ?? null,
  };
  const policy = effectivePolicy(saved?.policy ?? {});
  const passages = saved && input.use_knowledge !== false
    ? await retrievePassages(ctx.db, saved.id, last.content, { limit: 8, budget: KNOWLEDGE_TOKEN_BUDGET, vector: await queryVector(ctx, saved.id, last.content) })
    : [];
  const prompt = assemblePrompt({
    bot,
    user: { name: null, attributes: {} },
    history: input.messages.map((m, i) => ({ id: String(i).padStart(4, '0'), role: m.role, content: m.content })),
    summary: null,
    examples: saved ? await retrainedExamples(ctx.db, saved.id) : [],
    passages,
  });
  const temperature = input.temperature ?? prompt.temperature;
  const maxTokens = input.max_tokens ?? prompt.maxTokens;
  const answer = (reply: string, source: 'model' | 'retrained' | 'builtin' | 'safety' | 'blocked_topic' | 'moderation', model: string | null = null, usage = { input_tokens: 0, output_tokens: 0 }) => ({
    reply,
    source,
    model,
    usage,
    sources: source === 'model' || source === 'builtin' ? sourcesOf(passages) : [],
    prompt: input.debug ? { messages: prompt.messages, temperature, max_tokens: maxTokens } : null,
  });

  const refused = refusalFor(policy, last.content) ?? (await moderate(ctx, last.content));
  if (refused) return answer(refused.reply, refused.source);
  const curated = saved ? await matchRetrained(ctx.db, saved.id, last.content, false) : null;
  if (curated) return answer(curated.response, 'retrained');
  if (!ctx.llm) return answer(builtinReply(passages[0]), 'builtin', 'builtin');

  const out = await ctx.llm.generate({ model: bot.model, messages: prompt.messages, temperature, maxTokens });
  const usage = { input_tokens: out.usage.inputTokens, output_tokens: out.usage.outputTokens };
  const refusedReply = refusalFor(policy, out.text) ?? (await moderate(ctx, out.text));
  return refusedReply ? answer(refusedReply.reply, refusedReply.source, out.model, usage) : answer(out.text, 'model', out.model, usage);
}

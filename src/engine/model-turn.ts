import type { BotRow } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { ProviderError } from '../core/errors.js';
import type { Policy } from '../features/prompts/policy-settings.js';
import type { Passage } from '../features/knowledge/retrieval.js';
import type { LlmPort, LlmResult } from '../providers/llm/port.js';
import type { ReplySource, TurnInput, TurnResult } from './converse.js';
import { moderate, refusalFor, type Refusal } from './policy.js';
import type { AssembledPrompt } from './prompt.js';
import type { ReplyMeta, TurnIds } from './reply-store.js';
import type { ChunkQueue } from './turn-queue.js';

/** What the builtin mode says when no curated answer fits: it has no model and says so. */
export const BUILTIN_REPLY = "[sinth builtin mode] I can only answer the questions my creator has prepared answers for, and I don't have one for that yet.";

/** Without a model: the best knowledge passage, quoted and labelled, or the fixed builtin answer. */
export function builtinReply(best: Passage | undefined): string {
  if (!best) return BUILTIN_REPLY;
  const text = best.content.length > 800 ? `${best.content.slice(0, best.content.lastIndexOf(' ', 800))}…` : best.content;
  return `[sinth builtin mode] From ${best.title ?? best.filename ?? best.url ?? 'my notes'}: ${text}`;
}

/** What the model's part of a turn needs from the part that stored the message. */
interface ModelInput {
  ids: TurnIds;
  /** Null in the builtin mode. */
  prompt: AssembledPrompt | null;
  /** Knowledge retrieved for the message (the builtin mode answers from the best one). */
  passages?: Passage[];
}

/** Stores the reply (or, when a check refused it, the refusal in its place) and completes the turn. */
export type Finish = (text: string, meta: ReplyMeta & { source: ReplySource }, refusal: Refusal | null) => Promise<TurnResult>;

/**
 * The model's part of a turn: the user's message through the moderation provider, then the model (or
 * the builtin mode's fixed answer), then its reply through every check before it is stored.
 */
export async function answerWithModel(ctx: ServiceContext, input: TurnInput, policy: Policy, prepared: ModelInput, out: ChunkQueue, finish: Finish): Promise<TurnResult> {
  const flagged = await moderate(ctx, input.message);
  if (flagged) {
    await ctx.db.updateTable('messages').set({ status: 'flagged', source: 'moderation' }).where('id', '=', prepared.ids.userMessageId).execute();
    const turn = await finish(flagged.reply, { source: 'moderation' }, null);
    out.push({ type: 'delta', text: flagged.reply });
    return turn;
  }
  if (!ctx.llm || !prepared.prompt) {
    const reply = builtinReply(prepared.passages?.[0]);
    out.push({ type: 'delta', text: reply });
    return finish(reply, { source: 'builtin', model: 'builtin' }, null);
  }
  if (!input.stream) return askModel(ctx, ctx.llm, input, policy, prepared.prompt, out, finish);
  return runModel(ctx, ctx.llm, input.bot, policy, prepared.prompt, out, finish);
}

/** One call for the whole reply, checked before anything is released: for callers that do not stream. */
async function askModel(ctx: ServiceContext, llm: LlmPort, input: TurnInput, policy: Policy, prompt: AssembledPrompt, out: ChunkQueue, finish: Finish): Promise<TurnResult> {
  const started = Date.now();
  const tools = input.tools && Object.keys(input.tools).length ? input.tools : undefined;
  const r = await llm.generate({
    model: input.bot.model,
    messages: prompt.messages,
    temperature: prompt.temperature,
    maxTokens: prompt.maxTokens,
    ...(tools ? { tools: Object.fromEntries(Object.entries(tools).map(([name, t]) => [name, { description: t.description }])) } : {}),
  });
  const tool = r.toolCalls?.find((name) => tools?.[name]) ?? null;
  // A taken tool is announced in its own words, which the channel then makes true (the model's may promise what cannot happen).
  const text = tool ? tools![tool]!.reply : r.text;
  if (!text.trim()) throw new ProviderError(llm.provider, 'the model returned an empty reply');
  const refusal = refusalFor(policy, text) ?? (await moderate(ctx, text));
  const turn = await finish(text, { source: 'model', model: r.model, usage: r.usage, latencyMs: Date.now() - started }, refusal);
  out.push({ type: 'delta', text: turn.reply! });
  return refusal ? turn : { ...turn, tool };
}

/**
 * Asks the model and releases its text a sentence at a time, while everything so far passes the hard
 * limits and blocked topics. When a reply turns out to cross them, the model is stopped and the caller
 * is told to replace what it showed. With a moderation provider nothing is released before the whole
 * reply has passed it. The model is read here, not by the caller, so the reply is stored even if the
 * client goes away.
 */
async function runModel(ctx: ServiceContext, llm: LlmPort, bot: BotRow, policy: Policy, prompt: AssembledPrompt, out: ChunkQueue, finish: Finish): Promise<TurnResult> {
  const started = Date.now();
  const abort = new AbortController();
  const stream = llm.stream({ model: bot.model, messages: prompt.messages, temperature: prompt.temperature, maxTokens: prompt.maxTokens, signal: abort.signal });
  const holdBack = ctx.moderation !== null;
  let text = '';
  let released = 0;
  const settle = (turn: TurnResult, full: string) => {
    if (turn.source === 'model') out.push({ type: 'delta', text: full.slice(released) });
    else out.push({ type: released ? 'replace' : 'delta', text: turn.reply! });
    return turn;
  };
  for await (const delta of stream.deltas) {
    const from = Math.max(released, text.length - 1); // a boundary may straddle the previous delta
    text += delta;
    if (holdBack) continue;
    const boundary = lastBoundary(text, from);
    if (boundary <= released) continue;
    // Checked when text is about to be released (not on every delta: that is quadratic in the reply).
    const refusal = refusalFor(policy, text);
    if (refusal) {
      abort.abort();
      return settle(await finish(text, { source: 'model', model: bot.model ?? llm.provider }, refusal), text);
    }
    out.push({ type: 'delta', text: text.slice(released, boundary) });
    released = boundary;
  }
  const r: LlmResult = await stream.result;
  if (!r.text.trim()) throw new ProviderError(llm.provider, 'the model returned an empty reply');
  const refusal = refusalFor(policy, r.text) ?? (await moderate(ctx, r.text));
  return settle(await finish(r.text, { source: 'model', model: r.model, usage: r.usage, latencyMs: Date.now() - started }, refusal), r.text);
}

/** Where the last sentence or line ending at or after `from` ends (after its mark), or -1. */
function lastBoundary(text: string, from: number): number {
  for (let i = text.length - 2; i >= from; i--) {
    const c = text[i];
    if (c === '\n') return i + 1;
    if ((c === '.' || c === '!' || c === '?') && text[i + 1] === ' ') return i + 1;
  }
  return -1;
}

import { sql, type Transaction } from 'kysely';
import type { BotRow, DB, EndUserRow } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { forbidden, notFound, unprocessable, type DomainError } from '../core/errors.js';
import { emitEvent, eventRow } from '../core/events.js';
import { newId } from '../core/ids.js';
import { isEnabled } from '../features/bots/bot-view.js';
import { limitCheck } from '../features/billing/limits.js';
import { effectivePolicy, type Policy } from '../features/prompts/policy-settings.js';
import { countTokens } from './history.js';
import { loadTurnContext, SUMMARIZE_JOB } from './memory.js';
import { enterConversation, findOrCreateConversation, lockConversation, type ConversationState } from './participants.js';
import { answerWithModel, type Finish } from './model-turn.js';
import { isAgeConfirmation, refusalFor, type Refusal } from './policy.js';
import { assemblePrompt, type AssembledPrompt } from './prompt.js';
import { storeReply, type TurnIds } from './reply-store.js';
import { isUniqueViolation } from '../core/db-errors.js';
import { matchRetrained } from './retrained.js';
import { queryVector, retrievePassages, sourcesOf, type Passage, type QueryVector } from '../features/knowledge/retrieval.js';
import { chunkQueue, lockTurn, trackTurn, type TurnChunk } from './turn-queue.js';
import { dedupeKeyOf, findStoredTurn, openingBefore, replyKeyOf, type StoredTurn } from './turn-dedupe.js';

export type { TurnChunk } from './turn-queue.js';
export { BUILTIN_REPLY, builtinReply } from './model-turn.js';

/** Knowledge passages' share of the prompt, in tokens. */
export const KNOWLEDGE_TOKEN_BUDGET = 1500;

/** The answer to an age confirmation when the greeting was already sent. */
export const AGE_CONFIRMED_REPLY = 'Thank you for confirming. What would you like to talk about?';

export interface TurnInput {
  bot: BotRow;
  /** The caller's id for the end user. */
  userId: string;
  channel: string;
  message: string;
  /** The user confirmed they are 18 or older before sending this (the widget's age interstitial). */
  ageConfirmed?: boolean;
  /** The caller shows the reply as it is written: the model is asked to stream. Otherwise one call, less work. */
  stream?: boolean;
  /**
   * Actions the channel can take for the user (a phone call: transfer to a person, text a link). The
   * model may call one instead of answering; a message that plainly asks for one (`asked`) takes it
   * without the model. Either way the tool's `reply` is the bot's answer.
   */
  tools?: Record<string, TurnTool>;
  /** Lines about this conversation for the model (the channel, why the bot called). */
  context?: string[];
  /**
   * Names the message for retries of the work that sends it (an inbound SMS: `sms:<id>`); a request
   * with an Idempotency-Key gets one from the key. A retry stores the message once and answers it once.
   */
  dedupeKey?: string;
}

export interface TurnTool {
  description: string;
  reply: string;
  asked?: RegExp;
}

export type ReplySource = 'model' | 'retrained' | 'builtin' | 'safety' | 'blocked_topic' | 'moderation' | 'age_gate' | 'tool';

export interface TurnResult {
  conversation_id: string;
  /** The stored user message. */
  user_message_id: string;
  /** The bot's reply; null while a human has taken over. */
  reply: string | null;
  message_id: string | null;
  /** Sent with the first message of a new conversation (with the AI disclosure line, when the bot has one). */
  opening_message: string | null;
  takeover: boolean;
  source: ReplySource | null;
  sources: unknown[];
  /** The tool the reply takes (see TurnInput.tools), or null. */
  tool?: string | null;
}

interface Prepared {
  result: TurnResult;
  ids: TurnIds;
  /** Set when the model (or the builtin mode) must answer. */
  needsModel: boolean;
  prompt: AssembledPrompt | null;
  /** Whether the running summary lags behind what the prompt had to leave out. */
  summaryDue: boolean;
  /** Knowledge retrieved for the message (the builtin mode answers from the best one). */
  passages?: Passage[];
}

/**
 * Stores the user's message and decides everything that needs no model, in one transaction, in the
 * order the product promises: the end user (blocked users refused) and the age gate, the conversation
 * (created on first contact, with the disclosure line and greeting), human takeover, the hard limits
 * and blocked topics, then curated answers. Messages of one conversation are serialised by an advisory
 * lock, so two at the same moment are both stored, in order.
 */
async function prepareTurn(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput, policy: Policy, vector: QueryVector | null, overQuota: DomainError | null): Promise<Prepared> {
  const { bot } = input;
  await lockConversation(trx, bot.id, input.userId, input.channel);
  const now = new Date();
  const entered = await enterConversation(trx, ctx, { botId: bot.id, userId: input.userId, channel: input.channel, now });
  const { user } = entered;
  if (user.blocked) throw forbidden('This user is blocked from talking to this bot.', 'user_blocked');
  const dedupeKey = dedupeKeyOf(ctx, input.dedupeKey);
  const stored = dedupeKey ? await findStoredTurn(trx, ctx, dedupeKey) : null;
  if (stored) return resumeTurn(trx, ctx, input, policy, { user, conversation: entered.conversation, stored, dedupeKey: dedupeKey! }, vector, overQuota);

  // The age gate: until the user says they are 18 or older, the question is all the bot says.
  const confirms = !user.age_verified && (input.ageConfirmed === true || (policy.age_gate && isAgeConfirmation(input.message)));
  const gated = policy.age_gate && !user.age_verified && !confirms;
  if (confirms) {
    await trx.updateTable('end_users').set({ age_verified: true, age_verified_at: now, age_verified_channel: input.channel, updated_at: now }).where('id', '=', user.id).execute();
    await emitEvent(trx, ctx, 'user.age_verified', { bot_id: bot.id, user_id: user.user_id, channel: input.channel });
  }

  const { conversation, opening } = entered.conversation ? { conversation: entered.conversation, opening: null } : await startConversation(trx, ctx, input, policy, { greet: !gated, now });
  const refusal = refusalFor(policy, input.message);
  // The reply's id is taken now, so replies sort right after their own message however long they take.
  const ids: TurnIds = { conversationId: conversation.id, userMessageId: newId('msg'), replyId: newId('msg'), dedupeKey };
  const answeredGate = gated || (confirms && !input.ageConfirmed);
  await storeUserMessage(trx, ctx, input, ids, now, {
    status: refusal ? 'flagged' : 'pending',
    source: refusal ? (refusal.source === 'safety' ? refusal.reason : refusal.source) : answeredGate ? 'age_gate' : null,
  });

  const base: TurnResult = { conversation_id: ids.conversationId, user_message_id: ids.userMessageId, reply: null, message_id: null, opening_message: opening, takeover: false, source: null, sources: [] };
  const { answer } = outcomes(trx, ctx, input, ids, base);

  if (gated) return answer(policy.age_confirmation_message, 'age_gate');
  if (answeredGate) {
    // The greeting waited for the confirmation; now it is the answer.
    const greeted = opening !== null || (await trx.selectFrom('messages').select('id').where('conversation_id', '=', ids.conversationId).where('source', '=', 'opening').executeTakeFirst());
    // Stored as the greeting it is, which the model reads; the confirmation exchange it does not.
    return !greeted && bot.opening_message ? answer(bot.opening_message, 'age_gate', 'opening') : answer(AGE_CONFIRMED_REPLY, 'age_gate');
  }

  return answerStored(trx, ctx, input, policy, { user, conversation, ids, base, refusal }, vector, overQuota);
}

/** Ends a turn without the model, or with the reply stored now in the turn's transaction. */
function outcomes(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput, ids: TurnIds, base: TurnResult) {
  const done = (result: TurnResult): Prepared => ({ result, ids, needsModel: false, prompt: null, summaryDue: false });
  const answer = async (text: string, source: ReplySource, stored: string = source, tool: string | null = null) => {
    await storeReply(trx, ctx, turnOf(input), ids, text, { source: stored });
    return done({ ...base, reply: text, message_id: ids.replyId, source, tool });
  };
  return { done, answer };
}

interface StoredMessage {
  user: EndUserRow;
  conversation: ConversationState;
  ids: TurnIds;
  base: TurnResult;
  refusal: Refusal | null;
}

/**
 * Answers a user message already stored (by this turn, or by an earlier attempt at it): human
 * takeover, the plan's limit, the hard limits and blocked topics, tools, curated answers, then the
 * model's prompt.
 */
async function answerStored(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput, policy: Policy, m: StoredMessage, vector: QueryVector | null, overQuota: DomainError | null): Promise<Prepared> {
  const { bot } = input;
  const { user, conversation, ids, base, refusal } = m;
  const { done, answer } = outcomes(trx, ctx, input, ids, base);
  // A human who took over answers everything, even what the hard limits would refuse.
  if (!botAnswers(bot, conversation)) {
    if (!refusal) await trx.updateTable('messages').set({ status: 'ok' }).where('id', '=', ids.userMessageId).execute();
    await emitEvent(trx, ctx, 'conversation.takeover', { bot_id: bot.id, user_id: input.userId, conversation_id: ids.conversationId, message_id: ids.userMessageId });
    return done({ ...base, takeover: true });
  }
  // Past the plan's monthly replies the bot says nothing: the message is not kept (the 402 rolls it back).
  if (overQuota) throw overQuota;
  if (refusal) return answer(refusal.reply, refusal.source);
  const asked = Object.entries(input.tools ?? {}).find(([, t]) => t.asked?.test(input.message));
  if (asked) return answer(asked[1].reply, 'tool', 'tool', asked[0]);

  // Read together with the history; a bot without curated answers has none to match either.
  const context = await loadTurnContext(trx, { botId: bot.id, conversationId: ids.conversationId, upTo: ids.userMessageId, after: conversation.summary_through });
  const curated = context.examples.length ? await matchRetrained(trx, bot.id, input.message) : null;
  if (curated) return answer(curated.response, 'retrained');
  const passages = context.has_knowledge ? await retrievePassages(trx, bot.id, input.message, { limit: 8, budget: KNOWLEDGE_TOKEN_BUDGET, vector }) : [];
  const withSources = { ...base, sources: sourcesOf(passages) };
  if (!ctx.llm) return { result: withSources, ids, needsModel: true, prompt: null, summaryDue: false, passages };
  // Built from what is stored up to this message, so a later message cannot leak into this turn.
  const prompt = assemblePrompt({
    bot,
    user,
    history: context.history,
    summary: conversation.summary,
    examples: context.examples,
    disclose: Boolean(policy.ai_disclosure) && (policy.ai_disclosure_channels as string[]).includes(input.channel),
    passages,
    context: input.context,
  });
  return { result: withSources, ids, needsModel: true, prompt, summaryDue: context.cut || prompt.folded.length > 0, passages };
}

/**
 * A retry of a turn whose user message an earlier attempt stored: its stored reply, or (the attempt
 * died or failed before replying) an answer to that message now. Nothing is stored twice.
 */
async function resumeTurn(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  input: TurnInput,
  policy: Policy,
  at: { user: EndUserRow; conversation: ConversationState | null; stored: StoredTurn; dedupeKey: string },
  vector: QueryVector | null,
  overQuota: DomainError | null,
): Promise<Prepared> {
  const { stored, conversation } = at;
  if (!conversation || stored.message.conversation_id !== conversation.id || stored.message.content !== input.message) {
    throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different message; use a new key.', 'Idempotency-Key');
  }
  const ids: TurnIds = { conversationId: conversation.id, userMessageId: stored.message.id, replyId: stored.reply?.id ?? newId('msg'), dedupeKey: at.dedupeKey };
  const opening = await openingBefore(trx, conversation.id, stored.message.id);
  const base: TurnResult = { conversation_id: conversation.id, user_message_id: stored.message.id, reply: null, message_id: null, opening_message: opening, takeover: false, source: null, sources: [] };
  if (stored.reply) {
    const result = { ...base, reply: stored.reply.content, message_id: stored.reply.id, source: replySourceOf(stored.reply.source), sources: stored.reply.sources ?? [] };
    return { result, ids, needsModel: false, prompt: null, summaryDue: false };
  }
  // A human has taken over: the earlier attempt told them (conversation.takeover) already.
  if (!botAnswers(input.bot, conversation)) return { result: { ...base, takeover: true }, ids, needsModel: false, prompt: null, summaryDue: false };
  // The earlier attempt's model failure marked it unanswered: it waits for this answer again.
  if (stored.message.status === 'unanswered') await trx.updateTable('messages').set({ status: 'pending' }).where('id', '=', ids.userMessageId).execute();
  return answerStored(trx, ctx, input, policy, { user: at.user, conversation, ids, base, refusal: refusalFor(policy, input.message) }, vector, overQuota);
}

const REPLY_SOURCES: ReadonlySet<string> = new Set<ReplySource>(['model', 'retrained', 'builtin', 'safety', 'blocked_topic', 'moderation', 'age_gate', 'tool']);

/** A stored reply's source as a turn reports it (the greeting that answered an age confirmation is the age gate's). */
function replySourceOf(stored: string | null): ReplySource {
  if (stored === 'opening') return 'age_gate';
  return stored && REPLY_SOURCES.has(stored) ? (stored as ReplySource) : 'model';
}

/** The user's message, the conversation's last activity and `message.received`, in one statement. */
async function storeUserMessage(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput, ids: TurnIds, now: Date, m: { status: 'flagged' | 'pending'; source: string | null }) {
  const event = eventRow(ctx, 'message.received', { bot_id: input.bot.id, user_id: input.userId, conversation_id: ids.conversationId, message_id: ids.userMessageId, channel: input.channel });
  const { rows } = await sql<{ id: string }>`
    with stored as (
      insert into messages (id, account_id, conversation_id, role, content, status, source, tokens, dedupe_key)
      values (${ids.userMessageId}, ${ctx.accountId}, ${ids.conversationId}, 'user', ${input.message}, ${m.status}, ${m.source}, ${countTokens(input.message)}, ${ids.dedupeKey ?? null})
      on conflict do nothing
      returning id
    ), touched as (
      update conversations set last_message_at = ${now}, updated_at = ${now} where id = ${ids.conversationId} and exists (select 1 from stored)
    )
    insert into outbox_events (id, account_id, type, payload) select ${event.id}, ${event.account_id}, ${event.type}, ${event.payload}::jsonb from stored
    returning id`.execute(trx);
  // Its dedupe key taken meanwhile (the turns of one conversation are serialised, so by another conversation's).
  if (!rows.length) throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different message; use a new key.', 'Idempotency-Key');
}

/** A new conversation starts with the AI disclosure line and the greeting. */
async function startConversation(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput, policy: Policy, opts: { greet: boolean; now: Date }) {
  const { bot } = input;
  const { conversation } = await findOrCreateConversation(trx, ctx, { botId: bot.id, userId: input.userId, channel: input.channel, now: opts.now });
  const lines: Array<{ text: string; source: string }> = [];
  if (policy.ai_disclosure && (policy.ai_disclosure_channels as string[]).includes(input.channel)) lines.push({ text: policy.ai_disclosure, source: 'disclosure' });
  if (opts.greet && bot.opening_message) lines.push({ text: bot.opening_message, source: 'opening' });
  for (const line of lines) {
    await trx.insertInto('messages').values({ id: newId('msg'), account_id: ctx.accountId, conversation_id: conversation.id, role: 'assistant', content: line.text, source: line.source, tokens: countTokens(line.text) }).execute();
  }
  return { conversation, opening: lines.map((l) => l.text).join('\n\n') || null };
}

/** The bot answers unless it is switched off for everyone, or for this conversation. */
export function botAnswers(bot: BotRow, conversation: { bot_enabled: boolean | null; resume_at: Date | null }): boolean {
  return isEnabled(bot.response_enabled, bot.response_resume_at) && (conversation.bot_enabled === null || isEnabled(conversation.bot_enabled, conversation.resume_at));
}

const turnOf = (input: TurnInput) => ({ botId: input.bot.id, userId: input.userId, channel: input.channel });

export interface Turn {
  result: TurnResult;
  /** Text as the reply is generated (one chunk for answers that need no model). */
  chunks: AsyncIterable<TurnChunk>;
  /** The stored turn, once the reply is complete and saved. */
  done: Promise<TurnResult>;
}

/**
 * One turn of a conversation on any channel: store the message, answer it (age gate, curated answer,
 * model or builtin mode), check the reply against the hard limits, blocked topics and the moderation
 * provider, and store the reply with its usage. A model failure leaves the user's message stored and
 * marked unanswered, and rejects with the provider error.
 */
export async function converse(ctx: ServiceContext, input: TurnInput): Promise<Turn> {
  const policy = effectivePolicy(input.bot.policy);
  const release = await lockTurn(`${input.bot.id}:${input.userId}:${input.channel}`);
  let prepared: Prepared;
  try {
    const vector = await queryVector(ctx, input.bot.id, input.message);
    // Checked outside the turn's transaction, so the usage notification it may send is kept even when
    // the turn is refused; refused only where the bot would answer (a human who took over still can).
    const overQuota = await limitCheck(ctx.db, ctx, 'messages_per_month');
    prepared = await ctx.db.transaction().execute((trx) => prepareTurn(trx, ctx, input, policy, vector, overQuota));
  } catch (err) {
    release();
    throw err;
  }
  const { ids } = prepared;
  const out = chunkQueue();
  const finish: Finish = async (text, meta, refusal) => {
    const reply = refusal ? refusal.reply : text;
    const source: ReplySource = refusal ? refusal.source : meta.source;
    const sources = refusal ? [] : prepared.result.sources;
    try {
      await storeReply(ctx.db, ctx, turnOf(input), ids, reply, { ...meta, source, flagged: Boolean(refusal), sources });
    } catch (err) {
      // The user was erased while the reply was being made: nothing is left to answer.
      if ((err as { code?: string }).code === '23503') throw notFound('conversation');
      // Another attempt at this turn (a retried job, a taken-over key) stored its reply first: that is the answer.
      if (ids.dedupeKey && isUniqueViolation(err, 'messages_dedupe_key')) {
        const first = await ctx.db.selectFrom('messages').select(['id', 'content', 'source']).where('account_id', '=', ctx.accountId).where('dedupe_key', '=', replyKeyOf(ids.dedupeKey)).executeTakeFirst();
        if (first) return { ...prepared.result, reply: first.content, message_id: first.id, source: first.source as ReplySource, sources };
      }
      throw err;
    }
    // After the reply, not with it: a summary request lost to a crash is made again by the next turn,
    // which finds the same turns left out.
    if (prepared.summaryDue && !refusal) {
      await ctx.jobs.send(SUMMARIZE_JOB, { conversation_id: ids.conversationId }, { singletonKey: ids.conversationId }).catch((err: unknown) => ctx.log.warn({ err }, 'could not queue a conversation summary'));
    }
    return { ...prepared.result, reply, message_id: ids.replyId, source, sources };
  };

  let done: Promise<TurnResult>;
  if (!prepared.needsModel) {
    if (prepared.result.reply) out.push({ type: 'delta', text: prepared.result.reply });
    done = Promise.resolve(prepared.result);
  } else {
    done = answerWithModel(ctx, input, policy, prepared, out, finish).catch(async (err: unknown) => {
      // Only while still waiting: another attempt at the same turn may have answered it meanwhile.
      await ctx.db.updateTable('messages').set({ status: 'unanswered' }).where('id', '=', ids.userMessageId).where('status', '=', 'pending').execute();
      throw err;
    });
  }
  done = done.finally(() => {
    out.close();
    release();
  });
  done.catch(() => undefined); // callers observe it; a rejection here must not go unhandled
  trackTurn(done);
  return { result: prepared.result, chunks: out.iterate(), done };
}

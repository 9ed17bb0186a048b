import { sql, type Transaction } from 'kysely';
import type { BotRow, DB, EndUserRow } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { forbidden, notFound, ProviderError } from '../core/errors.js';
import { emitEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import { isEnabled } from '../features/bots/bot-view.js';
import type { LlmPort, LlmResult } from '../providers/llm/port.js';
import { assemblePrompt, type AssembledPrompt } from './prompt.js';
import { matchRetrained, retrainedExamples } from './retrained.js';
import { checkHardLimits, SAFE_REPLY } from './safety.js';

/** What the builtin mode says when no curated answer fits: it has no model and says so. */
export const BUILTIN_REPLY = "[sinth builtin mode] I can only answer the questions my creator has prepared answers for, and I don't have one for that yet.";

export interface TurnInput {
  bot: BotRow;
  /** The caller's id for the end user. */
  userId: string;
  channel: string;
  message: string;
}

export interface TurnResult {
  conversation_id: string;
  /** The stored user message. */
  user_message_id: string;
  /** The bot's reply; null while a human has taken over. */
  reply: string | null;
  message_id: string | null;
  /** Sent with the first message of a new conversation. */
  opening_message: string | null;
  takeover: boolean;
  source: 'model' | 'retrained' | 'builtin' | 'safety' | null;
  sources: unknown[];
}

interface Prepared {
  result: TurnResult;
  /** Set when the model must be asked. */
  prompt: AssembledPrompt | null;
  needsModel?: boolean;
  conversationId: string;
  replyId: string;
}

/**
 * Stores the user's message and decides everything that needs no model, in one transaction: the end
 * user and conversation (created on first contact, with the opening message), blocked users, the hard
 * limits, human takeover and curated answers. Messages of one conversation are serialised by an
 * advisory lock, so two at the same moment are both stored, in order.
 */
async function prepareTurn(trx: Transaction<DB>, ctx: ServiceContext, input: TurnInput): Promise<Prepared> {
  const { bot } = input;
  await sql`select pg_advisory_xact_lock(hashtext(${`${bot.id}:${input.userId}:${input.channel}`}))`.execute(trx);

  const now = new Date();
  // Upsert: a create_user or another channel may be creating the same end user at this moment.
  const upserted = await trx
    .insertInto('end_users')
    .values({ id: newId('usr'), account_id: ctx.accountId, bot_id: bot.id, user_id: input.userId, attributes: '{}', first_seen_at: now, last_seen_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['bot_id', 'user_id']).doUpdateSet({ last_seen_at: now, first_seen_at: sql`coalesce(end_users.first_seen_at, excluded.first_seen_at)` }),
    )
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  const { inserted, ...user } = upserted;
  if (inserted) await emitEvent(trx, ctx, 'user.created', { bot_id: bot.id, user_id: user.user_id });
  if (user.blocked) throw forbidden('This user is blocked from talking to this bot.', 'user_blocked');

  let conversation = await trx
    .selectFrom('conversations')
    .selectAll()
    .where('bot_id', '=', bot.id)
    .where('user_id', '=', input.userId)
    .where('channel', '=', input.channel)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  let opening: string | null = null;
  if (!conversation) {
    conversation = await trx
      .insertInto('conversations')
      .values({ id: newId('conv'), account_id: ctx.accountId, bot_id: bot.id, user_id: input.userId, channel: input.channel, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await emitEvent(trx, ctx, 'conversation.created', { bot_id: bot.id, user_id: input.userId, conversation_id: conversation.id, channel: input.channel });
    if (bot.opening_message) {
      opening = bot.opening_message;
      await trx.insertInto('messages').values({ id: newId('msg'), account_id: ctx.accountId, conversation_id: conversation.id, role: 'assistant', content: opening, source: 'opening' }).execute();
    }
  }
  const conversationId = conversation.id;

  const verdict = checkHardLimits(input.message);
  const userMessageId = newId('msg');
  // The reply's id is taken now, so replies sort right after their own message however long they take.
  const replyId = newId('msg');
  await trx
    .insertInto('messages')
    .values({ id: userMessageId, account_id: ctx.accountId, conversation_id: conversationId, role: 'user', content: input.message, status: verdict.allowed ? 'pending' : 'flagged', source: verdict.category })
    .execute();
  await trx.updateTable('conversations').set({ last_message_at: now, updated_at: now }).where('id', '=', conversationId).execute();
  await emitEvent(trx, ctx, 'message.received', { bot_id: bot.id, user_id: input.userId, conversation_id: conversationId, message_id: userMessageId, channel: input.channel });

  const base: TurnResult = { conversation_id: conversationId, user_message_id: userMessageId, reply: null, message_id: null, opening_message: opening, takeover: false, source: null, sources: [] };
  const answer = async (text: string, source: 'retrained' | 'safety') => {
    await storeReply(trx, ctx, input, { conversationId, userMessageId, replyId }, text, { source });
    return { result: { ...base, reply: text, message_id: replyId, source }, prompt: null, conversationId, replyId };
  };

  // A human who took over answers everything, even what the hard limits would refuse.
  if (!botAnswers(bot, conversation)) {
    if (verdict.allowed) await trx.updateTable('messages').set({ status: 'ok' }).where('id', '=', userMessageId).execute();
    await emitEvent(trx, ctx, 'conversation.takeover', { bot_id: bot.id, user_id: input.userId, conversation_id: conversationId, message_id: userMessageId });
    return { result: { ...base, takeover: true }, prompt: null, conversationId, replyId };
  }
  if (!verdict.allowed) return answer(SAFE_REPLY, 'safety');

  const curated = await matchRetrained(trx, bot.id, input.message);
  if (curated) return answer(curated.response, 'retrained');
  // Built from what is stored up to this message, so a later message cannot leak into this turn.
  const prompt = ctx.llm ? await buildPrompt(trx, bot, user, conversationId, userMessageId) : null;
  return { result: base, prompt, conversationId, replyId, needsModel: true };
}

/** The bot answers unless it is switched off for everyone, or for this conversation. */
function botAnswers(bot: BotRow, conversation: { bot_enabled: boolean | null; resume_at: Date | null }): boolean {
  return isEnabled(bot.response_enabled, bot.response_resume_at) && (conversation.bot_enabled === null || isEnabled(conversation.bot_enabled, conversation.resume_at));
}

async function storeReply(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  input: TurnInput,
  ids: { conversationId: string; userMessageId: string; replyId: string },
  text: string,
  meta: { source: string; model?: string; usage?: LlmResult['usage']; latencyMs?: number; flagged?: boolean },
): Promise<void> {
  await trx
    .insertInto('messages')
    .values({
      id: ids.replyId,
      account_id: ctx.accountId,
      conversation_id: ids.conversationId,
      role: 'assistant',
      content: text,
      status: meta.flagged ? 'flagged' : 'ok',
      source: meta.source,
      model: meta.model ?? null,
      tokens_in: meta.usage?.inputTokens ?? null,
      tokens_out: meta.usage?.outputTokens ?? null,
      latency_ms: meta.latencyMs ?? null,
      sources: '[]',
    })
    .execute();
  await trx.updateTable('messages').set({ status: 'ok' }).where('id', '=', ids.userMessageId).where('status', '=', 'pending').execute();
  await emitEvent(trx, ctx, 'message.sent', { bot_id: input.bot.id, user_id: input.userId, conversation_id: ids.conversationId, message_id: ids.replyId, channel: input.channel });
}

/** Builds the prompt from what is stored, up to and including the message being answered. */
async function buildPrompt(trx: Transaction<DB>, bot: BotRow, user: EndUserRow, conversationId: string, upTo: string) {
  const history = await trx
    .selectFrom('messages')
    .select(['id', 'role', 'content'])
    .where('conversation_id', '=', conversationId)
    .where('id', '<=', upTo)
    .where('role', 'in', ['user', 'assistant', 'operator'])
    .where('status', '!=', 'flagged')
    // A refusal only makes sense next to what it refused, which is left out.
    .where((eb) => eb.or([eb('source', 'is', null), eb('source', '!=', 'safety')]))
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  const conversation = await trx.selectFrom('conversations').select('summary').where('id', '=', conversationId).executeTakeFirstOrThrow();
  const examples = await retrainedExamples(trx, bot.id);
  return assemblePrompt({
    bot,
    user,
    history: history.reverse().map((m) => ({ id: m.id, role: m.role as 'user' | 'assistant' | 'operator', content: m.content })),
    summary: conversation.summary,
    examples,
  });
}

/** What a caller streams: text as it is released, or a replacement of everything sent so far. */
export type TurnChunk = { type: 'delta'; text: string } | { type: 'replace'; text: string };

export interface Turn {
  result: TurnResult;
  /** Text as the reply is generated (one chunk for answers that need no model). */
  chunks: AsyncIterable<TurnChunk>;
  /** The stored turn, once the reply is complete and saved. */
  done: Promise<TurnResult>;
}

// Turns of one conversation run one after another in this process, from the stored message to the
// stored reply, so each reply is made with the ones before it in view.
const turnLocks = new Map<string, Promise<void>>();
async function lockTurn(key: string): Promise<() => void> {
  const previous = turnLocks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = previous.then(() => mine);
  turnLocks.set(key, chained);
  await previous;
  return () => {
    release();
    if (turnLocks.get(key) === chained) turnLocks.delete(key);
  };
}

/**
 * One turn of a conversation on any channel: store the message, answer it (curated answer, model or
 * builtin mode), check the reply against the hard limits, and store the reply with its usage. A model
 * failure leaves the user's message stored and marked unanswered, and rejects with the provider error.
 */
export async function converse(ctx: ServiceContext, input: TurnInput): Promise<Turn> {
  const release = await lockTurn(`${input.bot.id}:${input.userId}:${input.channel}`);
  let prepared: Prepared;
  try {
    prepared = await ctx.db.transaction().execute((trx) => prepareTurn(trx, ctx, input));
  } catch (err) {
    release();
    throw err;
  }
  const ids = { conversationId: prepared.conversationId, userMessageId: prepared.result.user_message_id, replyId: prepared.replyId };
  const out = chunkQueue();
  const markUnanswered = () => ctx.db.updateTable('messages').set({ status: 'unanswered' }).where('id', '=', ids.userMessageId).execute();
  const finish = async (text: string, meta: { source: 'model' | 'builtin'; model: string; usage?: LlmResult['usage']; latencyMs?: number }) => {
    const verdict = checkHardLimits(text);
    const reply = verdict.allowed ? text : SAFE_REPLY;
    try {
      await ctx.db.transaction().execute((trx) => storeReply(trx, ctx, input, ids, reply, { ...meta, source: verdict.allowed ? meta.source : 'safety', flagged: !verdict.allowed }));
    } catch (err) {
      // The user was erased while the reply was being made: nothing is left to answer.
      if ((err as { code?: string }).code === '23503') throw notFound('conversation');
      throw err;
    }
    return { ...prepared.result, reply, message_id: ids.replyId, source: verdict.allowed ? meta.source : ('safety' as const) };
  };

  let done: Promise<TurnResult>;
  if (!prepared.needsModel) {
    if (prepared.result.reply) out.push({ type: 'delta', text: prepared.result.reply });
    done = Promise.resolve(prepared.result);
  } else if (!ctx.llm || !prepared.prompt) {
    out.push({ type: 'delta', text: BUILTIN_REPLY });
    done = finish(BUILTIN_REPLY, { source: 'builtin', model: 'builtin' });
  } else {
    done = runModel(ctx.llm, input.bot, prepared.prompt, out, finish).catch(async (err: unknown) => {
      await markUnanswered();
      throw err;
    });
  }
  done = done.finally(() => {
    out.close();
    release();
  });
  done.catch(() => undefined); // callers observe it; a rejection here must not go unhandled
  return { result: prepared.result, chunks: out.iterate(), done };
}

/**
 * Asks the model and releases its text a sentence at a time, while everything so far passes the hard
 * limits. When a reply turns out to cross them, the model is stopped and the caller is told to replace
 * what it showed with the safe reply. The model is read here, not by the caller, so the reply is
 * stored even if the client goes away.
 */
async function runModel(
  llm: LlmPort,
  bot: BotRow,
  prompt: AssembledPrompt,
  out: ReturnType<typeof chunkQueue>,
  finish: (text: string, meta: { source: 'model'; model: string; usage?: LlmResult['usage']; latencyMs?: number }) => Promise<TurnResult>,
): Promise<TurnResult> {
  const started = Date.now();
  const abort = new AbortController();
  const stream = llm.stream({ model: bot.model, messages: prompt.messages, temperature: prompt.temperature, maxTokens: prompt.maxTokens, signal: abort.signal });
  let text = '';
  let released = 0;
  for await (const delta of stream.deltas) {
    text += delta;
    if (!checkHardLimits(text).allowed) {
      abort.abort();
      const turn = await finish(text, { source: 'model', model: bot.model ?? llm.provider });
      out.push({ type: released ? 'replace' : 'delta', text: SAFE_REPLY });
      return turn;
    }
    const boundary = Math.max(text.lastIndexOf('. '), text.lastIndexOf('! '), text.lastIndexOf('? '), text.lastIndexOf('\n'));
    if (boundary + 1 > released) {
      out.push({ type: 'delta', text: text.slice(released, boundary + 1) });
      released = boundary + 1;
    }
  }
  const r = await stream.result;
  if (!r.text.trim()) throw new ProviderError(llm.provider, 'the model returned an empty reply');
  const turn = await finish(r.text, { source: 'model', model: r.model, usage: r.usage, latencyMs: Date.now() - started });
  if (turn.source === 'model' && released < r.text.length) out.push({ type: 'delta', text: r.text.slice(released) });
  else if (turn.source === 'safety') out.push({ type: released ? 'replace' : 'delta', text: SAFE_REPLY });
  return turn;
}

/** A minimal async queue: the engine pushes released text, the caller iterates it. */
function chunkQueue() {
  const items: TurnChunk[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  return {
    push(chunk: TurnChunk) {
      if (chunk.text) items.push(chunk);
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
    async *iterate(): AsyncGenerator<TurnChunk> {
      for (;;) {
        if (items.length) {
          yield items.shift()!;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
}

import { sql, type Transaction } from 'kysely';
import type { BotRow, DB, EndUserRow } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { forbidden } from '../core/errors.js';
import { emitEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import { isEnabled } from '../features/bots/bot-view.js';
import type { LlmResult } from '../providers/llm/port.js';
import { assemblePrompt } from './prompt.js';
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
  /** Set when the model must be asked; the prompt is built from what is stored. */
  needsModel: boolean;
  conversationId: string;
  user: EndUserRow;
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
  let user = await trx.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).where('user_id', '=', input.userId).executeTakeFirst();
  if (!user) {
    user = await trx
      .insertInto('end_users')
      .values({ id: newId('usr'), account_id: ctx.accountId, bot_id: bot.id, user_id: input.userId, attributes: '{}', first_seen_at: now, last_seen_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await emitEvent(trx, ctx, 'user.created', { bot_id: bot.id, user_id: user.user_id });
  } else {
    await trx.updateTable('end_users').set({ last_seen_at: now, first_seen_at: user.first_seen_at ?? now }).where('id', '=', user.id).execute();
  }
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
  await trx
    .insertInto('messages')
    .values({ id: userMessageId, account_id: ctx.accountId, conversation_id: conversationId, role: 'user', content: input.message, status: verdict.allowed ? 'pending' : 'flagged', source: verdict.category })
    .execute();
  await trx.updateTable('conversations').set({ last_message_at: now, updated_at: now }).where('id', '=', conversationId).execute();
  await emitEvent(trx, ctx, 'message.received', { bot_id: bot.id, user_id: input.userId, conversation_id: conversationId, message_id: userMessageId, channel: input.channel });

  const base: TurnResult = { conversation_id: conversationId, user_message_id: userMessageId, reply: null, message_id: null, opening_message: opening, takeover: false, source: null, sources: [] };
  const answer = async (text: string, source: 'retrained' | 'safety') => {
    const id = await storeReply(trx, ctx, input, conversationId, userMessageId, text, { source });
    return { result: { ...base, reply: text, message_id: id, source }, needsModel: false, conversationId, user: user! };
  };

  if (!verdict.allowed) return answer(SAFE_REPLY, 'safety');

  const botOn = conversation.bot_enabled === null ? isEnabled(bot.response_enabled, bot.response_resume_at) : isEnabled(conversation.bot_enabled, conversation.resume_at);
  if (!botOn) {
    await trx.updateTable('messages').set({ status: 'ok' }).where('id', '=', userMessageId).execute();
    await emitEvent(trx, ctx, 'conversation.takeover', { bot_id: bot.id, user_id: input.userId, conversation_id: conversationId, message_id: userMessageId });
    return { result: { ...base, takeover: true }, needsModel: false, conversationId, user };
  }

  const curated = await matchRetrained(trx, bot.id, input.message);
  if (curated) return answer(curated.response, 'retrained');
  return { result: base, needsModel: true, conversationId, user };
}

async function storeReply(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  input: TurnInput,
  conversationId: string,
  userMessageId: string,
  text: string,
  meta: { source: string; model?: string; usage?: LlmResult['usage']; latencyMs?: number; flagged?: boolean },
): Promise<string> {
  const id = newId('msg');
  await trx
    .insertInto('messages')
    .values({
      id,
      account_id: ctx.accountId,
      conversation_id: conversationId,
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
  await trx.updateTable('messages').set({ status: 'ok' }).where('id', '=', userMessageId).where('status', '=', 'pending').execute();
  await emitEvent(trx, ctx, 'message.sent', { bot_id: input.bot.id, user_id: input.userId, conversation_id: conversationId, message_id: id, channel: input.channel });
  return id;
}

/** Builds the prompt from what is stored (the new message included). */
async function buildPrompt(ctx: ServiceContext, bot: BotRow, user: EndUserRow, conversationId: string) {
  return ctx.db.transaction().execute(async (trx) => {
    const [history, conversation, examples] = [
      await trx
        .selectFrom('messages')
        .select(['id', 'role', 'content'])
        .where('conversation_id', '=', conversationId)
        .where('role', 'in', ['user', 'assistant', 'operator'])
        .where('status', '!=', 'flagged')
        .orderBy('id', 'desc')
        .limit(200)
        .execute(),
      await trx.selectFrom('conversations').select('summary').where('id', '=', conversationId).executeTakeFirstOrThrow(),
      await retrainedExamples(trx, bot.id),
    ];
    return assemblePrompt({
      bot,
      user,
      history: history.reverse().map((m) => ({ id: m.id, role: m.role as 'user' | 'assistant' | 'operator', content: m.content })),
      summary: conversation.summary,
      examples,
    });
  });
}

export interface Turn {
  result: TurnResult;
  /** Text deltas as the reply is generated (one chunk for answers that need no model). */
  deltas: AsyncIterable<string>;
  /** The stored turn, once the reply is complete and saved. */
  done: Promise<TurnResult>;
}

/**
 * One turn of a conversation on any channel: store the message, answer it (curated answer, model or
 * builtin mode), check the reply against the hard limits, and store the reply with its usage. A model
 * failure leaves the user's message stored and marked unanswered, and rejects with the provider error.
 */
export async function converse(ctx: ServiceContext, input: TurnInput): Promise<Turn> {
  const prepared = await ctx.db.transaction().execute((trx) => prepareTurn(trx, ctx, input));
  if (!prepared.needsModel) {
    const text = prepared.result.reply;
    return { result: prepared.result, deltas: (async function* () { if (text) yield text; })(), done: Promise.resolve(prepared.result) };
  }
  const { bot } = input;
  const prompt = await buildPrompt(ctx, bot, prepared.user, prepared.conversationId);
  const finish = async (text: string, meta: { source: 'model' | 'builtin'; model: string; usage?: LlmResult['usage']; latencyMs?: number }) => {
    const verdict = checkHardLimits(text);
    const reply = verdict.allowed ? text : SAFE_REPLY;
    const id = await ctx.db.transaction().execute((trx) =>
      storeReply(trx, ctx, input, prepared.conversationId, prepared.result.user_message_id, reply, { ...meta, source: verdict.allowed ? meta.source : 'safety', flagged: !verdict.allowed }),
    );
    return { ...prepared.result, reply, message_id: id, source: verdict.allowed ? meta.source : ('safety' as const) };
  };
  const markUnanswered = () =>
    ctx.db.updateTable('messages').set({ status: 'unanswered' }).where('id', '=', prepared.result.user_message_id).execute();

  if (!ctx.llm) {
    const done = finish(BUILTIN_REPLY, { source: 'builtin', model: 'builtin' });
    return { result: prepared.result, deltas: (async function* () { yield BUILTIN_REPLY; })(), done };
  }

  const started = Date.now();
  const stream = ctx.llm.stream({ model: bot.model, messages: prompt.messages, temperature: prompt.temperature, maxTokens: prompt.maxTokens });
  const out = chunkQueue();
  // The model is read here, not by the caller, so the reply is stored even if the client goes away.
  // Text is released a sentence at a time and only while everything so far passes the hard limits.
  const done = (async () => {
    let text = '';
    let released = 0;
    let stopped = false;
    try {
      for await (const delta of stream.deltas) {
        text += delta;
        if (stopped) continue;
        if (!checkHardLimits(text).allowed) {
          stopped = true;
          continue;
        }
        const boundary = Math.max(text.lastIndexOf('. '), text.lastIndexOf('! '), text.lastIndexOf('? '), text.lastIndexOf('\n'));
        if (boundary + 1 > released) {
          out.push(text.slice(released, boundary + 1));
          released = boundary + 1;
        }
      }
      const r = await stream.result;
      const turn = await finish(r.text, { source: 'model', model: r.model, usage: r.usage, latencyMs: Date.now() - started });
      if (turn.source === 'model' && released < turn.reply.length) out.push(turn.reply.slice(released));
      return turn;
    } catch (err) {
      await markUnanswered();
      throw err;
    } finally {
      out.close();
    }
  })();
  done.catch(() => undefined);
  const deltas = out.iterate();
  return { result: prepared.result, deltas, done };
}

/** A minimal async queue: the engine pushes released text, the caller iterates it. */
function chunkQueue() {
  const items: string[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  return {
    push(chunk: string) {
      if (chunk) items.push(chunk);
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
    async *iterate(): AsyncGenerator<string> {
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

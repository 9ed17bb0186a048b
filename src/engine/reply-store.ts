import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { emitEvent } from '../core/events.js';
import type { LlmUsage } from '../providers/llm/port.js';

export interface TurnIds {
  conversationId: string;
  userMessageId: string;
  replyId: string;
}

export interface ReplyMeta {
  source: string;
  model?: string;
  usage?: LlmUsage;
  latencyMs?: number;
  flagged?: boolean;
}

/**
 * Stores a bot reply under its reserved id, marks the user's message answered, counts the usage and
 * emits `message.sent`: all in the caller's transaction, so a turn is either whole or not there.
 */
export async function storeReply(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  turn: { botId: string; userId: string; channel: string },
  ids: TurnIds,
  text: string,
  meta: ReplyMeta,
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
  await emitEvent(trx, ctx, 'message.sent', { bot_id: turn.botId, user_id: turn.userId, conversation_id: ids.conversationId, message_id: ids.replyId, channel: turn.channel });
  // Last, so the counter row (shared by the bot's concurrent turns) stays locked for the shortest time.
  await countUsage(trx, ctx.accountId, turn.botId, meta);
}

/** Daily counters per account and bot: replies, model calls and tokens (plan limits and get_usage read them). */
async function countUsage(trx: Transaction<DB>, accountId: string, botId: string, meta: ReplyMeta): Promise<void> {
  const modelCalls = meta.source === 'model' || meta.usage ? 1 : 0;
  const tokensIn = meta.usage?.inputTokens ?? 0;
  const tokensOut = meta.usage?.outputTokens ?? 0;
  await sql`
    insert into usage_daily (account_id, day, bot_id, replies, model_calls, tokens_in, tokens_out)
    values (${accountId}, (now() at time zone 'utc')::date, ${botId}, 1, ${modelCalls}, ${tokensIn}, ${tokensOut})
    on conflict (account_id, day, bot_id) do update set
      replies = usage_daily.replies + 1,
      model_calls = usage_daily.model_calls + excluded.model_calls,
      tokens_in = usage_daily.tokens_in + excluded.tokens_in,
      tokens_out = usage_daily.tokens_out + excluded.tokens_out`.execute(trx);
}

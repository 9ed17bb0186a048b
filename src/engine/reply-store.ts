import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServiceContext } from '../core/context.js';
import { eventRow } from '../core/events.js';
import { countTokens } from './history.js';
import { replyKeyOf } from './turn-dedupe.js';
import type { LlmUsage } from '../providers/llm/port.js';

export interface TurnIds {
  conversationId: string;
  userMessageId: string;
  replyId: string;
  /** The user message's dedupe key (see turn-dedupe.ts): the reply is stored under it with `:reply`. */
  dedupeKey?: string | null;
}

export interface ReplyMeta {
  source: string;
  model?: string;
  usage?: LlmUsage;
  latencyMs?: number;
  flagged?: boolean;
  /** The knowledge sources the reply drew on. */
  sources?: unknown[];
}

/**
 * Stores a bot reply under its reserved id, marks the user's message answered, emits `message.sent`
 * and counts the usage, in one statement: atomic on its own (no transaction needed, one round trip),
 * and the usage row shared by a bot's concurrent turns is locked only for that statement. A reply to
 * a message erased meanwhile fails as a whole on the foreign key (23503), a second reply to a message
 * stored under a dedupe key on its unique index (23505).
 */
export async function storeReply(
  q: Kysely<DB> | Transaction<DB>,
  ctx: ServiceContext,
  turn: { botId: string; userId: string; channel: string },
  ids: TurnIds,
  text: string,
  meta: ReplyMeta,
): Promise<void> {
  const event = eventRow(ctx, 'message.sent', { bot_id: turn.botId, user_id: turn.userId, conversation_id: ids.conversationId, message_id: ids.replyId, channel: turn.channel });
  const modelCalls = meta.source === 'model' || meta.usage ? 1 : 0;
  await sql`
    with reply as (
      insert into messages (id, account_id, conversation_id, role, content, status, source, model, tokens_in, tokens_out, latency_ms, sources, tokens, dedupe_key)
      values (${ids.replyId}, ${ctx.accountId}, ${ids.conversationId}, 'assistant', ${text}, ${meta.flagged ? 'flagged' : 'ok'}, ${meta.source},
              ${meta.model ?? null}, ${meta.usage?.inputTokens ?? null}, ${meta.usage?.outputTokens ?? null}, ${meta.latencyMs ?? null}, ${JSON.stringify(meta.sources ?? [])}, ${countTokens(text)},
              ${ids.dedupeKey ? replyKeyOf(ids.dedupeKey) : null})
      returning id
    ), answered as (
      update messages set status = 'ok' where id = ${ids.userMessageId} and status = 'pending'
    ), sent as (
      insert into outbox_events (id, account_id, type, payload) values (${event.id}, ${event.account_id}, ${event.type}, ${event.payload}::jsonb)
    )
    -- Daily counters per account and bot: replies, model calls and tokens (plan limits and get_usage read them).
    insert into usage_daily (account_id, day, bot_id, replies, model_calls, tokens_in, tokens_out)
    select ${ctx.accountId}, (now() at time zone 'utc')::date, ${turn.botId}, 1, ${modelCalls}, ${meta.usage?.inputTokens ?? 0}, ${meta.usage?.outputTokens ?? 0} from reply
    on conflict (account_id, day, bot_id) do update set
      replies = usage_daily.replies + 1,
      model_calls = usage_daily.model_calls + excluded.model_calls,
      tokens_in = usage_daily.tokens_in + excluded.tokens_in,
      tokens_out = usage_daily.tokens_out + excluded.tokens_out`.execute(q);
}

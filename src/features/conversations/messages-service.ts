import type { ServiceContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { loadBot } from '../bots/bot-access.js';
import type { ConversationMessagesQuery } from './schemas.js';

/**
 * get_conversation_messages: one conversation of any channel as the creator sees it (the inbox): who
 * wrote each message (user, bot or operator), where a bot reply came from, its delivery state and its
 * rating. Newest first.
 */
export async function getConversationMessages({ ctx, input }: { ctx: ServiceContext; input: ConversationMessagesQuery }) {
  const conversation = await ctx.db.selectFrom('conversations').selectAll().where('id', '=', input.conversation_id).where('account_id', '=', ctx.accountId).executeTakeFirst();
  if (!conversation) throw notFound('conversation', 'conversation_id');
  await loadBot(ctx, conversation.bot_id);
  const before = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('messages as m')
    .leftJoin('feedback as f', 'f.message_id', 'm.id')
    .select(['m.id', 'm.role', 'm.content', 'm.status', 'm.source', 'm.latency_ms', 'm.created_at', 'f.rating'])
    .where('m.conversation_id', '=', conversation.id)
    .where('m.role', 'in', ['user', 'assistant', 'operator'])
    .orderBy('m.id', 'desc')
    .limit(input.limit + 1);
  if (before) q = q.where('m.id', '<', before);
  const page = toPage(await q.execute(), input.limit, (m) => m.id);
  return {
    conversation_id: conversation.id,
    bot_id: conversation.bot_id,
    user_id: conversation.user_id,
    channel: conversation.channel,
    data: page.data.map((m) => ({
      message_id: m.id,
      role: m.role as 'user' | 'assistant' | 'operator',
      content: m.content,
      status: m.status,
      source: m.source,
      latency_ms: m.latency_ms,
      rating: m.rating ?? null,
      created_at: m.created_at.toISOString(),
    })),
    next_cursor: page.next_cursor,
  };
}

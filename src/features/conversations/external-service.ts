import type { ServiceContext } from '../../core/context.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { resolveCreator } from '../bots/bot-access.js';

/**
 * What a fan-facing app shows: one end user's API conversation, newest first. An operator's messages
 * were sent as the bot, so they show as the bot's; system notes stay internal.
 */
export async function getConversationExternal({ ctx, input }: { ctx: ServiceContext; input: { creator: string; user_id: string; limit: number; cursor?: string | undefined } }) {
  const bot = await resolveCreator(ctx, input.creator);
  const conversation = await ctx.db
    .selectFrom('conversations')
    .select('id')
    .where('bot_id', '=', bot.id)
    .where('user_id', '=', input.user_id)
    .where('channel', '=', 'api')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!conversation) return { conversation_id: null, user_id: input.user_id, data: [], next_cursor: null };
  const before = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('messages')
    .select(['id', 'role', 'content', 'created_at'])
    .where('conversation_id', '=', conversation.id)
    .where('role', 'in', ['user', 'assistant', 'operator'])
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (before) q = q.where('id', '<', before);
  const page = toPage(await q.execute(), input.limit, (m) => m.id);
  return {
    conversation_id: conversation.id,
    user_id: input.user_id,
    data: page.data.map((m) => ({ message_id: m.id, role: m.role === 'user' ? ('user' as const) : ('assistant' as const), content: m.content, created_at: m.created_at.toISOString() })),
    next_cursor: page.next_cursor,
  };
}

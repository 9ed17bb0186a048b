import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { loadBot } from '../bots/bot-access.js';

/**
 * A rating of one bot reply, from the creator or from the fan (with a conversation key for that bot).
 * Rating the same reply again replaces the earlier rating.
 */
export async function submitFeedback({ ctx, input }: { ctx: ServiceContext; input: { message_id: string; rating: 'up' | 'down'; comment?: string | undefined } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const message = await trx
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['messages.id', 'messages.role', 'conversations.bot_id', 'conversations.user_id'])
      .where('messages.id', '=', input.message_id)
      .where('messages.account_id', '=', ctx.accountId)
      .executeTakeFirst();
    if (!message) throw notFound('message', 'message_id');
    await loadBot(ctx, message.bot_id, { q: trx, param: 'message_id' }); // a conversation key must cover this bot
    if (message.role !== 'assistant') throw unprocessable('not_a_bot_reply', 'Only the bot\'s replies can be rated.', 'message_id');
    const row = await trx
      .insertInto('feedback')
      .values({ id: newId('fb'), account_id: ctx.accountId, bot_id: message.bot_id, message_id: message.id, rating: input.rating, comment: input.comment ?? null, updated_at: new Date() })
      .onConflict((oc) => oc.column('message_id').doUpdateSet({ rating: input.rating, comment: input.comment ?? null, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await emitEvent(trx, ctx, 'feedback.created', { bot_id: message.bot_id, user_id: message.user_id, message_id: message.id, feedback_id: row.id, rating: row.rating });
    await writeAudit(trx, ctx, { action: 'feedback.submitted', objectType: 'message', objectId: message.id, details: { rating: row.rating } });
    return { feedback_id: row.id, message_id: row.message_id, rating: row.rating, comment: row.comment, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
  });
}

import { sql } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { invalid, notFound } from '../../core/errors.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { containsPattern } from '../../core/like.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { inTransaction } from '../../core/transaction.js';
import { countTokens } from '../../engine/history.js';
import { findOrCreateConversation, lockConversation, upsertEndUser } from '../../engine/participants.js';
import { loadBot } from '../bots/bot-access.js';
import { isEnabled } from '../bots/bot-view.js';
import { queueCallSpeech } from '../voice/call-speech.js';
import { queueConversationSms } from '../sms/sms-service.js';
import type { AddMessageInput, GetConversationsInput } from './schemas.js';

/**
 * Adds a message to a conversation's history (an operator's reply during takeover, an imported turn):
 * the bot reads it next time. Named by conversation_id, or by bot_id + user_id (the API conversation,
 * created if needed).
 */
export async function addMessageToConversation({ ctx, input }: { ctx: ServiceContext; input: AddMessageInput }) {
  if (!input.conversation_id && !(input.bot_id && input.user_id)) {
    throw invalid(input.bot_id ? 'user_id' : 'conversation_id', 'Give conversation_id, or bot_id and user_id.');
  }
  return inTransaction(ctx, async (trx) => {
    let conversation;
    if (input.conversation_id) {
      conversation = await trx.selectFrom('conversations').selectAll().where('id', '=', input.conversation_id).where('account_id', '=', ctx.accountId).executeTakeFirst();
      if (!conversation) throw notFound('conversation', 'conversation_id');
      await loadBot(ctx, conversation.bot_id, { q: trx });
    } else {
      const bot = await loadBot(ctx, input.bot_id!, { q: trx });
      const at = { botId: bot.id, userId: input.user_id!, channel: 'api', now: new Date() };
      await lockConversation(trx, at.botId, at.userId, at.channel);
      await upsertEndUser(trx, ctx, at.botId, at.userId, at.now);
      ({ conversation } = await findOrCreateConversation(trx, ctx, at));
    }
    const id = newId('msg');
    const row = await trx
      .insertInto('messages')
      .values({ id, account_id: ctx.accountId, conversation_id: conversation.id, role: input.role, content: input.content, source: input.role === 'user' ? null : 'operator', tokens: countTokens(input.content) })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    await trx.updateTable('conversations').set({ last_message_at: row.created_at, updated_at: new Date() }).where('id', '=', conversation.id).execute();
    const event = input.role === 'user' ? 'message.received' : 'message.sent';
    await emitEvent(trx, ctx, event, { bot_id: conversation.bot_id, user_id: conversation.user_id, conversation_id: conversation.id, message_id: id, channel: conversation.channel });
    await writeAudit(trx, ctx, { action: 'conversation.message_added', objectType: 'conversation', objectId: conversation.id, details: { message_id: id, role: input.role } });
    // SMS delivery is queued with the message, in this transaction: both happen or neither (422 when it cannot go).
    const sms = input.deliver && conversation.channel === 'sms' ? await queueConversationSms(trx, ctx, { conversation, messageId: id, role: input.role, content: input.content }) : null;
    // On a call, the words are spoken at the caller's next turn (a silence comes every few seconds).
    const call = input.deliver && conversation.channel === 'voice' ? await queueCallSpeech(trx, { conversationId: conversation.id, messageId: id, role: input.role, content: input.content }) : null;
    return {
      message_id: id,
      conversation_id: conversation.id,
      role: input.role,
      content: input.content,
      created_at: row.created_at.toISOString(),
      delivered: conversation.channel === 'api' || sms !== null || call !== null,
      sms_id: sms?.id ?? null,
      call_id: call,
    };
  });
}

/** The inbox: conversations with their last message, counts and takeover state, newest first. */
export async function getConversations({ ctx, input }: { ctx: ServiceContext; input: GetConversationsInput }) {
  if (input.bot_id) await loadBot(ctx, input.bot_id);
  const before = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('conversations as c')
    .innerJoin('bots as b', 'b.id', 'c.bot_id')
    .select([
      'c.id', 'c.bot_id', 'c.user_id', 'c.channel', 'c.created_at', 'c.last_message_at', 'c.bot_enabled', 'c.resume_at',
      'b.response_enabled', 'b.response_resume_at',
      sql<number>`(select count(*) from messages m where m.conversation_id = c.id)`.as('message_count'),
      sql<number>`(select count(*) from messages m where m.conversation_id = c.id and m.status = 'unanswered')`.as('unanswered_count'),
      sql<{ id: string; role: string; content: string; created_at: string } | null>`(
        select json_build_object('id', m.id, 'role', m.role, 'content', m.content, 'created_at', m.created_at)
        from messages m where m.conversation_id = c.id order by m.id desc limit 1)`.as('last_message'),
    ])
    .where('c.account_id', '=', ctx.accountId)
    .where('b.deleted_at', 'is', null)
    .orderBy('c.id', 'desc')
    .limit(input.limit + 1);
  if (before) q = q.where('c.id', '<', before);
  if (input.bot_id) q = q.where('c.bot_id', '=', input.bot_id);
  if (input.channel) q = q.where('c.channel', '=', input.channel);
  if (input.user_id) q = q.where('c.user_id', '=', input.user_id);
  if (input.since) q = q.where('c.last_message_at', '>=', new Date(input.since));
  if (input.until) q = q.where('c.last_message_at', '<', new Date(input.until));
  if (input.search) {
    const like = containsPattern(input.search);
    q = q.where((eb) => eb.or([eb('c.user_id', 'ilike', like), eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.conversation_id', '=', 'c.id').where('m.content', 'ilike', like))]));
  }
  const page = toPage(await q.execute(), input.limit, (c) => c.id);
  return {
    data: page.data.map((c) => ({
      conversation_id: c.id,
      bot_id: c.bot_id,
      user_id: c.user_id,
      channel: c.channel,
      created_at: c.created_at.toISOString(),
      last_message_at: c.last_message_at?.toISOString() ?? null,
      last_message: c.last_message
        ? { message_id: c.last_message.id, role: c.last_message.role, content: c.last_message.content, created_at: new Date(c.last_message.created_at).toISOString() }
        : null,
      message_count: Number(c.message_count),
      unanswered_count: Number(c.unanswered_count),
      bot_enabled: isEnabled(c.response_enabled, c.response_resume_at) && (c.bot_enabled === null || isEnabled(c.bot_enabled, c.resume_at)),
    })),
    next_cursor: page.next_cursor,
  };
}

import type { Transaction } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import type { DB, EndUserRow } from '../../db/schema.js';
import { writeAudit } from '../../core/audit.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { toE164 } from '../../core/phone.js';
import { inTransaction } from '../../core/transaction.js';
import { countTokens } from '../../engine/history.js';
import { findOrCreateConversation, lockConversation } from '../../engine/participants.js';
import { loadBot } from '../bots/bot-access.js';
import { receiveInboundSms } from './inbound-service.js';
import { pickNumber, routedNumber } from './numbers.js';
import { recipientHold } from './opt-out-service.js';
import { noSmsRoute, queueSms, type SmsRow } from './send-service.js';
import { findOrCreatePhoneUser } from './sms-users.js';
import type { GetSmsMessagesQuery, SendSmsInput, SimulateInboundInput } from './schemas.js';

function toSmsMessage(row: SmsRow, userId: string | null) {
  return {
    sms_id: row.id,
    bot_id: row.bot_id,
    user_id: userId,
    direction: row.direction,
    from: row.from_number,
    to: row.to_number,
    body: row.body,
    media_urls: row.media_urls,
    status: row.status as never,
    segments: row.segments,
    encoding: row.encoding,
    provider: row.provider,
    provider_message_id: row.provider_message_id,
    error_code: row.error_code,
    error_message: row.error_message,
    message_id: row.message_id,
    campaign_id: row.campaign_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The refusals an API caller gets before anything is stored: an opted-out or blocked user, no number. */
async function assertSendable(trx: Transaction<DB>, ctx: ServiceContext, user: EndUserRow, param: string): Promise<string> {
  if (!user.phone) throw unprocessable('no_sms_route', 'This user has no phone number to text; set one with update_user.', param);
  const hold = await recipientHold(trx, ctx.accountId, { botId: user.bot_id, phone: user.phone, endUserId: user.id });
  if (hold === 'blocked') throw unprocessable('user_blocked', 'This user is blocked; nothing is sent to them.', param);
  if (hold === 'opted_out') throw unprocessable('user_opted_out', 'This user opted out of texts (STOP); nothing is sent until they reply START.', param);
  if (!(await pickNumber(trx, ctx.accountId, { botId: user.bot_id, phone: user.phone }))) throw noSmsRoute();
  return user.phone;
}

/**
 * send_sms: a text from the bot's number, stored in the user's SMS conversation as an operator
 * message (written by a person or a program, not the model; the model reads it as its own words next
 * time, as it does an operator's), then sent by the send job. Idempotent through the request's key.
 */
export async function sendSmsFromApi({ ctx, input }: { ctx: ServiceContext; input: SendSmsInput }) {
  const byPhone = input.to.startsWith('+');
  const phone = byPhone ? toE164(input.to, 'to') : null;
  return inTransaction(ctx, async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    let user: EndUserRow | undefined;
    if (phone) user = await findOrCreatePhoneUser(trx, ctx, bot.id, phone);
    else user = await trx.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).where('user_id', '=', input.to).executeTakeFirst();
    if (!user) throw notFound('user', 'to');
    const to = await assertSendable(trx, ctx, user, 'to');

    const now = new Date();
    await lockConversation(trx, bot.id, user.user_id, 'sms');
    const { conversation } = await findOrCreateConversation(trx, ctx, { botId: bot.id, userId: user.user_id, channel: 'sms', now });
    const messageId = newId('msg');
    await trx
      .insertInto('messages')
      .values({ id: messageId, account_id: ctx.accountId, conversation_id: conversation.id, role: 'operator', content: input.body, source: 'send_sms', tokens: countTokens(input.body) })
      .execute();
    await trx.updateTable('conversations').set({ last_message_at: now, updated_at: now }).where('id', '=', conversation.id).execute();
    await emitEvent(trx, ctx, 'message.sent', { bot_id: bot.id, user_id: user.user_id, conversation_id: conversation.id, message_id: messageId, channel: 'sms' });
    const sms = await queueSms(trx, ctx, { botId: bot.id, to, body: input.body, sendKey: `msg:${messageId}`, endUserId: user.id, messageId });
    await writeAudit(trx, ctx, { action: 'sms.sent', objectType: 'sms', objectId: sms.id, details: { bot_id: bot.id, segments: sms.segments } });
    return { ...toSmsMessage(sms, user.user_id), conversation_id: conversation.id };
  });
}

/**
 * add_message_to_conversation with `deliver: true` on an SMS conversation: queues the stored message
 * to the user, in the caller's transaction, or refuses (422) when it cannot go: no phone, no number,
 * opted out or blocked. The message itself is stored by the caller.
 */
export async function queueConversationSms(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  at: { conversation: { bot_id: string; user_id: string }; messageId: string; role: string; content: string },
): Promise<SmsRow> {
  if (at.role === 'user') throw unprocessable('cannot_deliver_user_message', 'Only operator and assistant messages can be delivered to the user.', 'deliver');
  const user = await trx.selectFrom('end_users').selectAll().where('bot_id', '=', at.conversation.bot_id).where('user_id', '=', at.conversation.user_id).executeTakeFirst();
  if (!user) throw unprocessable('no_sms_route', 'This conversation\'s user has no phone number to text.', 'deliver');
  const to = await assertSendable(trx, ctx, user, 'deliver');
  return queueSms(trx, ctx, { botId: user.bot_id, to, body: at.content, sendKey: `msg:${at.messageId}`, endUserId: user.id, messageId: at.messageId });
}

/** get_sms_messages: newest first, with delivery status, parts, provider ids and errors. */
export async function getSmsMessages({ ctx, input }: { ctx: ServiceContext; input: GetSmsMessagesQuery }) {
  const bot = await loadBot(ctx, input.bot_id);
  const before = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('sms_messages as s')
    .leftJoin('end_users as u', 'u.id', 's.end_user_id')
    .selectAll('s')
    .select('u.user_id')
    .where('s.bot_id', '=', bot.id)
    .where('s.account_id', '=', ctx.accountId)
    .orderBy('s.id', 'desc')
    .limit(input.limit + 1);
  if (before) q = q.where('s.id', '<', before);
  if (input.user_id) q = q.where('u.user_id', '=', input.user_id);
  if (input.status) q = q.where('s.status', '=', input.status);
  if (input.direction) q = q.where('s.direction', '=', input.direction);
  const page = toPage(await q.execute(), input.limit, (r) => r.id);
  return { data: page.data.map((r) => toSmsMessage(r, r.user_id)), next_cursor: page.next_cursor };
}

/**
 * A text "received" on a sandbox number, handled exactly as a provider's webhook would have it
 * handled (keywords, the bot's reply through the sandbox provider): the SMS flow without a provider.
 */
export async function simulateInboundSms({ ctx, input }: { ctx: ServiceContext; input: SimulateInboundInput }) {
  const to = toE164(input.to, 'to');
  const from = toE164(input.from, 'from');
  const number = await routedNumber(ctx.db, 'sandbox', to);
  if (!number || number.account_id !== ctx.accountId || !number.bot_id) throw notFound('sandbox number', 'to');
  // A fresh provider id: never a second delivery, so always stored.
  const smsId = await receiveInboundSms(ctx, { ...number, account_id: number.account_id, bot_id: number.bot_id }, { provider: 'sandbox', providerMessageId: `SBXIN${newId('sms').slice(4)}`, from, to, body: input.body, mediaUrls: [] });
  return { sms_id: smsId! };
}

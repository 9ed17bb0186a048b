import type { AppDeps, ServiceContext } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { DomainError } from '../../core/errors.js';
import type { BotRow, EndUserRow } from '../../db/schema.js';
import { converse } from '../../engine/converse.js';
import { sliderEffects } from '../../engine/sliders.js';
import { effectivePolicy } from '../prompts/policy-settings.js';
import { fillBotName, optInConfirmation, optOutConfirmation, smsKeyword } from './keywords.js';
import { optInPhone, optOutPhone, recipientHold } from './opt-out-service.js';
import { queueSms, type SmsRow } from './send-service.js';
import { findOrCreatePhoneUser } from './sms-users.js';

/**
 * Handles one stored inbound SMS: compliance keywords first, then the conversation engine, whose
 * reply is queued to go out after the bot's reply_delay. Exactly once: the row stays `receiving`
 * until the work is done, so a job retried after a crash or a database outage does it again, and
 * every step is keyed by the SMS's id (its user message `sms:<id>`, the reply's send key `reply:<id>`,
 * a keyword answer's `keyword:<id>`), so a retry or a duplicated job stores and sends nothing twice.
 */
export async function handleInboundSms(deps: AppDeps, smsId: string): Promise<void> {
  const sms = await deps.db
    .selectFrom('sms_messages')
    .selectAll()
    .where('id', '=', smsId)
    .where('direction', '=', 'inbound')
    .where('status', '=', 'receiving')
    .executeTakeFirst();
  if (!sms) return;
  await handleSms(deps, sms);
  await deps.db.updateTable('sms_messages').set({ status: 'received', updated_at: new Date() }).where('id', '=', sms.id).where('status', '=', 'receiving').execute();
}

async function handleSms(deps: AppDeps, sms: SmsRow): Promise<void> {
  const bot = await deps.db.selectFrom('bots').selectAll().where('id', '=', sms.bot_id).where('deleted_at', 'is', null).executeTakeFirst();
  if (!bot) return;
  const ctx = systemContext(deps, sms.account_id);
  const user = await ctx.db.transaction().execute(async (trx) => {
    const u = await findOrCreatePhoneUser(trx, ctx, bot.id, sms.from_number);
    await trx.updateTable('sms_messages').set({ end_user_id: u.id }).where('id', '=', sms.id).execute();
    return u;
  });

  const keyword = smsKeyword(sms.body);
  if (keyword === 'stop') return handleStop(ctx, bot, user, sms);
  if (keyword === 'help') return answerKeyword(ctx, bot, user, sms, fillBotName(effectivePolicy(bot.policy).help_text, bot.name));
  // YES and START mean something only to someone opted out; otherwise they are ordinary words
  // (YES is also how a user confirms the age gate).
  const hold = await recipientHold(ctx.db, ctx.accountId, { botId: bot.id, phone: sms.from_number, endUserId: user.id });
  // A blocked user's START still restores their consent (silently): blocking and consent are apart.
  if (keyword === 'start' && (hold === 'opted_out' || (hold === 'blocked' && user.opted_out))) return handleStart(ctx, bot, user, sms);
  // Opted-out and blocked users get nothing, whatever they send.
  if (hold) return;
  await reply(ctx, bot, user, sms);
}

async function handleStop(ctx: ServiceContext, bot: BotRow, user: EndUserRow, sms: SmsRow): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const { changed } = await optOutPhone(trx, ctx, { botId: bot.id, phone: sms.from_number, reason: 'sms_stop' });
    // One confirmation, only when this STOP changed something; none at all to a blocked user.
    if (changed && !user.blocked) await queueKeywordAnswer(trx, ctx, bot, user, sms, optOutConfirmation(bot.name));
  });
}

async function handleStart(ctx: ServiceContext, bot: BotRow, user: EndUserRow, sms: SmsRow): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const { changed } = await optInPhone(trx, ctx, { botId: bot.id, endUserId: user.id, phone: sms.from_number });
    if (changed && !user.blocked) await queueKeywordAnswer(trx, ctx, bot, user, sms, optInConfirmation(bot.name));
  });
}

/** HELP is answered even to an opted-out user (it is how they learn to come back), never to a blocked one. */
async function answerKeyword(ctx: ServiceContext, bot: BotRow, user: EndUserRow, sms: SmsRow, text: string): Promise<void> {
  if (user.blocked) return;
  await ctx.db.transaction().execute((trx) => queueKeywordAnswer(trx, ctx, bot, user, sms, text));
}

function queueKeywordAnswer(trx: Parameters<typeof queueSms>[0], ctx: ServiceContext, bot: BotRow, user: EndUserRow, sms: SmsRow, text: string) {
  return queueSms(trx, ctx, { botId: bot.id, to: sms.from_number, from: sms.to_number, body: text, sendKey: `keyword:${sms.id}`, endUserId: user.id, allowOptedOut: true }).catch(noRoute(ctx, sms));
}

/** A number detached between the message and its answer leaves nothing to answer from. */
const noRoute = (ctx: ServiceContext, sms: SmsRow) => (err: unknown) => {
  if (err instanceof DomainError && err.code === 'no_sms_number') {
    ctx.log.info({ sms_id: sms.id }, 'sms: the bot has no SMS number any more; no answer sent');
    return null;
  }
  throw err;
};

/** What an MMS without text says in the conversation (the media itself is never fetched). */
const mediaNote = (n: number) => `[sent ${n} attachment${n === 1 ? '' : 's'}]`;

async function reply(ctx: ServiceContext, bot: BotRow, user: EndUserRow, sms: SmsRow): Promise<void> {
  const media = sms.media_urls.length;
  const message = sms.body.trim() || (media ? mediaNote(media) : '');
  if (!message) return;
  let result;
  try {
    const turn = await converse(ctx, { bot, userId: user.user_id, channel: 'sms', message, dedupeKey: `sms:${sms.id}` });
    result = await turn.done;
  } catch (err) {
    // Blocked meanwhile, erased, or the model failed (the message stays stored as unanswered).
    if (err instanceof DomainError) {
      ctx.log.warn({ sms_id: sms.id, code: err.code }, 'sms: no reply');
      return;
    }
    throw err;
  }
  await ctx.db.updateTable('sms_messages').set({ message_id: result.user_message_id }).where('id', '=', sms.id).execute();
  // The greeting (and disclosure line) of a new conversation goes out with the first answer, in one text.
  const text = [result.opening_message, result.reply].filter(Boolean).join('\n\n');
  if (!text) return; // a human has taken over: they answer through add_message_to_conversation
  // reply_delay is how long the bot seems to type, counted from when the message arrived.
  const elapsed = (Date.now() - sms.created_at.getTime()) / 1000;
  const delay = Math.max(0, sliderEffects(bot.sliders).replyDelaySeconds - elapsed);
  await ctx.db.transaction().execute((trx) =>
    queueSms(
      trx,
      ctx,
      { botId: bot.id, to: sms.from_number, from: sms.to_number, body: text, sendKey: `reply:${sms.id}`, endUserId: user.id, messageId: result.message_id },
      { startAfterSeconds: delay },
    ).catch(noRoute(ctx, sms)),
  );
}

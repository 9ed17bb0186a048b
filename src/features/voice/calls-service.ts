import { sql, type Transaction } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import type { CallRow, CallStatus, DB } from '../../db/schema.js';
import { writeAudit } from '../../core/audit.js';
import { conflict, invalid, notFound, ProviderError, unprocessable } from '../../core/errors.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { toE164 } from '../../core/phone.js';
import { publicBase } from '../../core/public-url.js';
import { inTransaction } from '../../core/transaction.js';
import { voiceProviderFor } from '../../providers/voice/index.js';
import { loadBot } from '../bots/bot-access.js';
import { assertWithinLimit } from '../billing/limits.js';
import { recipientHold } from '../sms/opt-out-service.js';
import { findOrCreatePhoneUser } from '../sms/sms-users.js';
import { toCallDetail, toCallView } from './call-view.js';
import { botNumber, isLive } from './call-scene.js';
import type { CallIdInput, GetCallsQuery, MakeCallInput } from './schemas.js';
import { effectiveVoice } from './voice-settings.js';

/** The bot's number to call from (the cli): of the configured provider when set, the oldest first. */
function voiceNumber(trx: Transaction<DB>, ctx: ServiceContext, botId: string, provider: 'sinch' | 'twilio' | null) {
  let q = trx.selectFrom('phone_numbers').selectAll().where('account_id', '=', ctx.accountId).where('bot_id', '=', botId).where('voice', '=', true).where('provider', 'in', ['sinch', 'twilio']);
  if (provider) q = q.where('provider', '=', provider);
  return q.orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
}

/**
 * make_call: an outbound AI call from the bot's number. The record is written first (queued), then
 * the provider is asked to dial; the call's callbacks drive it from there (answered → greeting and
 * the loop, or the voicemail message on a machine). A refusal by the provider leaves the record
 * failed with its reason and answers 502. The caller id is required: without a voice number the
 * request is a 400 (a Sinch callout without one is accepted but never connects).
 */
export async function makeCall({ ctx, input }: { ctx: ServiceContext; input: MakeCallInput }) {
  const phone = input.to.startsWith('+') ? toE164(input.to, 'to') : null;
  const base = publicBase(ctx.config);
  // A call takes at least a minute: none is placed once the month's minutes are used up.
  await assertWithinLimit(ctx.db, ctx, 'call_minutes_per_month');
  const { call, port, settings, userId } = await ctx.db.transaction().execute(async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    if (!base) throw unprocessable('public_url_not_configured', 'PUBLIC_URL is not set, so the provider could not reach this server during the call: set it to this server\'s public address.');
    const settings = effectiveVoice(bot.voice, ctx.config);
    const number = await voiceNumber(trx, ctx, bot.id, settings.provider);
    if (!number) {
      throw invalid('bot_id', `The bot has no ${settings.provider ?? 'voice'} number to call from, and a call needs one as its caller id (cli): assign one with assign_phone_number and voice: true.`, 'no_caller_id');
    }
    const port = voiceProviderFor(ctx.config, number, settings.region);
    const user = phone ? await findOrCreatePhoneUser(trx, ctx, bot.id, phone) : await trx.selectFrom('end_users').selectAll().where('bot_id', '=', bot.id).where('user_id', '=', input.to).executeTakeFirst();
    if (!user) throw notFound('user', 'to');
    if (!user.phone) throw unprocessable('no_phone', 'This user has no phone number to call; set one with update_user.', 'to');
    const hold = await recipientHold(trx, ctx.accountId, { botId: bot.id, phone: user.phone, endUserId: user.id });
    if (hold === 'blocked') throw unprocessable('user_blocked', 'This user is blocked; the bot does not call them.', 'to');
    if (hold === 'opted_out') throw unprocessable('user_opted_out', 'This user opted out of calls and texts; the bot does not call them until they opt in again.', 'to');
    const call = await trx
      .insertInto('calls')
      .values({
        id: newId('call'),
        account_id: ctx.accountId,
        bot_id: bot.id,
        end_user_id: user.id,
        provider: number.provider as 'sinch' | 'twilio',
        direction: 'outbound',
        from_number: number.phone_number,
        to_number: user.phone,
        status: 'queued',
        purpose: input.purpose ?? null,
        amd: input.amd ?? settings.amd,
        locale: settings.locale,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: 'call.placed', objectType: 'call', objectId: call.id, details: { bot_id: bot.id, provider: call.provider, amd: call.amd } });
    return { call, port, settings, userId: user.user_id };
  });

  let placed;
  try {
    placed = await port.place({
      callId: call.id,
      to: call.to_number,
      from: call.from_number,
      amd: call.amd,
      record: settings.record,
      maxDurationSeconds: settings.max_duration_seconds,
      webhooks: {
        voice: call.provider === 'sinch' ? `${base}/webhooks/sinch/voice` : `${base}/webhooks/twilio/voice?call_id=${call.id}`,
        status: `${base}/webhooks/twilio/voice/status?call_id=${call.id}`,
        recording: `${base}/webhooks/twilio/voice/recording?call_id=${call.id}`,
      },
    });
  } catch (err) {
    // A timeout leaves it open: the provider may have placed the call after all, and its callbacks
    // (which carry our id) then drive it as usual. A refusal is final.
    const timedOut = err instanceof ProviderError && err.type === 'provider_timeout';
    await ctx.db
      .updateTable('calls')
      .set({ ...(timedOut ? {} : { status: 'failed' as const, ended_at: new Date() }), error_message: (err as Error).message.slice(0, 500), updated_at: new Date() })
      .where('id', '=', call.id)
      .execute();
    throw err;
  }
  // A callback may have outrun this answer and recorded the provider's id (and more) already.
  return inTransaction(ctx, async (trx) => {
    const row = await trx
      .updateTable('calls')
      .set((eb) => ({
        provider_call_id: eb.fn.coalesce('provider_call_id', eb.val(placed.providerCallId)),
        manage_origin: placed.manageOrigin,
        status: sql<CallStatus>`case when status = 'queued' then 'ringing' else status end`,
        updated_at: new Date(),
      }))
      .where('id', '=', call.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await emitEvent(trx, ctx, 'call.started', { call_id: call.id, bot_id: call.bot_id, user_id: userId, direction: 'outbound' });
    return toCallView(row, userId);
  });
}

async function userIdOf(q: Transaction<DB> | ServiceContext['db'], call: CallRow): Promise<string | null> {
  if (!call.end_user_id) return null;
  return (await q.selectFrom('end_users').select('user_id').where('id', '=', call.end_user_id).executeTakeFirst())?.user_id ?? null;
}

async function loadCall(ctx: ServiceContext, callId: string): Promise<CallRow> {
  const call = await ctx.db.selectFrom('calls').selectAll().where('id', '=', callId).where('account_id', '=', ctx.accountId).executeTakeFirst();
  if (!call) throw notFound('call', 'call_id');
  // A key limited to some bots sees only their calls.
  await loadBot(ctx, call.bot_id, { param: 'call_id' }).catch(() => {
    throw notFound('call', 'call_id');
  });
  return call;
}

/**
 * end_call: asks the provider to hang up a live call. The record is closed at once (the caller is
 * gone); the provider's own report (DiCE, status callback) adds talk time and cost when it comes.
 */
export async function endCall({ ctx, input }: { ctx: ServiceContext; input: CallIdInput }) {
  const call = await loadCall(ctx, input.call_id);
  if (!isLive(call)) throw conflict('call_not_live', `This call is over (${call.status}).`, 'call_id');
  if (!call.provider_call_id) throw conflict('call_not_connected', 'The provider has not given this call an id yet; try again in a moment.', 'call_id');
  const number = await ctx.db.selectFrom('phone_numbers').selectAll().where('phone_number', '=', botNumber(call)).where('account_id', '=', ctx.accountId).where('provider', '=', call.provider).executeTakeFirst();
  if (!number) throw unprocessable('number_gone', 'The bot\'s number of this call is no longer on this server, so the call cannot be managed from here.', 'call_id');
  const bot = await loadBot(ctx, call.bot_id, { param: 'call_id' });
  await voiceProviderFor(ctx.config, number, effectiveVoice(bot.voice, ctx.config).region).hangup({ providerCallId: call.provider_call_id, manageOrigin: call.manage_origin });
  const row = await inTransaction(ctx, async (trx) => {
    const ended = await trx
      .updateTable('calls')
      .set({ status: 'completed', reason: 'ended_by_api', ended_at: new Date(), updated_at: new Date() })
      .where('id', '=', call.id)
      .where('ended_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    await writeAudit(trx, ctx, { action: 'call.ended', objectType: 'call', objectId: call.id, details: { bot_id: call.bot_id } });
    const current = ended ?? (await trx.selectFrom('calls').selectAll().where('id', '=', call.id).executeTakeFirstOrThrow());
    return toCallView(current, await userIdOf(trx, current));
  });
  return row;
}

export async function getCalls({ ctx, input }: { ctx: ServiceContext; input: GetCallsQuery }) {
  const bot = input.bot_id ? await loadBot(ctx, input.bot_id) : null;
  const before = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('calls as c')
    .leftJoin('end_users as u', 'u.id', 'c.end_user_id')
    .selectAll('c')
    .select('u.user_id')
    .where('c.account_id', '=', ctx.accountId)
    .orderBy('c.id', 'desc')
    .limit(input.limit + 1);
  if (bot) q = q.where('c.bot_id', '=', bot.id);
  else if (ctx.key?.botIds) q = q.where('c.bot_id', 'in', ctx.key.botIds.length ? ctx.key.botIds : ['']);
  if (before) q = q.where('c.id', '<', before);
  if (input.user_id) q = q.where('u.user_id', '=', input.user_id);
  if (input.status) q = q.where('c.status', '=', input.status);
  const page = toPage(await q.execute(), input.limit, (r) => r.id);
  return { data: page.data.map((r) => toCallView(r, r.user_id)), next_cursor: page.next_cursor };
}

export async function getCall({ ctx, input }: { ctx: ServiceContext; input: CallIdInput }) {
  const call = await loadCall(ctx, input.call_id);
  const turns = await ctx.db.selectFrom('call_turns').selectAll().where('call_id', '=', call.id).orderBy('id').execute();
  return toCallDetail(call, await userIdOf(ctx.db, call), turns);
}

import type { AppDeps } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { routedNumber } from '../sms/numbers.js';
import { recipientHold } from '../sms/opt-out-service.js';
import { findOrCreatePhoneUser } from '../sms/sms-users.js';
import { limitCheck } from '../billing/limits.js';
import { greetCaller, greetingStep } from './call-greeting.js';
import { hangUp, listen, REJECT } from './call-plan.js';
import { claimCallback, findCall, type CallEvent } from './call-records.js';
import { botTurn, callData, LINE_UNAVAILABLE, step, type CallScene, type CallStep } from './call-scene.js';
import { effectiveVoice } from './voice-settings.js';

const HIDDEN_NUMBER = "Sorry, this line can't take calls from a hidden number. Goodbye.";
const optedOutNotice = (name: string) => `You asked not to be contacted by ${name}, so this call can't continue. Text START to this number if you change your mind. Goodbye.`;

export type InboundOutcome =
  | { kind: 'step'; scene: CallScene | null; step: CallStep }
  /** The same call's ICE again: what was answered the first time (null while that is still being answered). */
  | { kind: 'replay'; response: string | null; key: string };

/**
 * A call to one of our numbers: refused unanswered when the number routes to no bot or the caller is
 * blocked; an opted-out caller hears why the call cannot go on; anyone else is greeted and heard.
 */
export async function openInboundCall(
  deps: AppDeps,
  at: { provider: 'sinch' | 'twilio'; providerCallId: string; from: string | null; to: string; manageOrigin: string | null; key: string },
): Promise<InboundOutcome> {
  const number = await routedNumber(deps.db, at.provider, at.to, 'voice');
  if (!number?.account_id || !number.bot_id) return { kind: 'step', scene: null, step: step(REJECT) };
  if (!at.from) return { kind: 'step', scene: null, step: step(hangUp(HIDDEN_NUMBER)) };
  const botRow = await deps.db.selectFrom('bots').selectAll().where('id', '=', number.bot_id).executeTakeFirstOrThrow();
  const ctx = systemContext(deps, number.account_id);
  // The account's call minutes for the month are used up: the caller hears why, and no call is recorded.
  const overMinutes = await limitCheck(ctx.db, ctx, 'call_minutes_per_month');
  if (overMinutes) {
    deps.log.info({ account_id: ctx.accountId, code: overMinutes.code }, 'voice: inbound call refused by the plan limit');
    return { kind: 'step', scene: null, step: step(hangUp(LINE_UNAVAILABLE)) };
  }
  const settings = effectiveVoice(botRow.voice, deps.config);
  const from = at.from;

  return ctx.db.transaction().execute(async (trx): Promise<InboundOutcome> => {
    const user = await findOrCreatePhoneUser(trx, ctx, botRow.id, from);
    const hold = await recipientHold(trx, ctx.accountId, { botId: botRow.id, phone: from, endUserId: user.id });
    const now = new Date();
    const call = await trx
      .insertInto('calls')
      .values({
        id: newId('call'),
        account_id: ctx.accountId,
        bot_id: botRow.id,
        end_user_id: user.id,
        provider: at.provider,
        provider_call_id: at.providerCallId,
        direction: 'inbound',
        from_number: from,
        to_number: at.to,
        status: hold ? 'rejected' : 'in_progress',
        reason: hold,
        locale: settings.locale,
        manage_origin: at.manageOrigin,
        answered_at: hold ? null : now,
        ended_at: hold === 'blocked' ? now : null,
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_call_id']).where('provider_call_id', 'is not', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!call) {
      const existing = (await findCall(trx, at.provider, at.providerCallId))!;
      const claim = await claimCallback(trx, existing.id, at.key);
      return claim.fresh ? { kind: 'step', scene: null, step: step(listen()) } : { kind: 'replay', response: claim.response, key: at.key };
    }
    await claimCallback(trx, call.id, at.key);
    const scene: CallScene = { ctx, call, bot: botRow, settings, user, pending: [] };
    if (hold === 'blocked') return { kind: 'step', scene, step: step(REJECT) };
    if (hold === 'opted_out') {
      const notice = optedOutNotice(botRow.name);
      return { kind: 'step', scene, step: step(hangUp(notice), [botTurn(notice, 'notice')]) };
    }
    const greeting = await greetCaller(trx, ctx, { bot: botRow, user, now });
    await trx.updateTable('calls').set({ conversation_id: greeting.conversationId }).where('id', '=', call.id).execute();
    const started: CallEvent = { type: 'call.started', data: callData(call, { user_id: user.user_id, conversation_id: greeting.conversationId }) };
    return {
      kind: 'step',
      scene: { ...scene, call: { ...call, conversation_id: greeting.conversationId } },
      step: greetingStep(greeting, { events: [started] }, settings.record),
    };
  });
}

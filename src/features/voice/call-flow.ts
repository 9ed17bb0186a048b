import type { Updateable } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { DomainError, ProviderError } from '../../core/errors.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import type { BotRow, CallRow, CallsTable, EndUserRow } from '../../db/schema.js';
import { botAnswers, converse, type TurnResult } from '../../engine/converse.js';
import { fillBotName } from '../sms/keywords.js';
import { pickNumber, routedNumber } from '../sms/numbers.js';
import { optOutPhone, recipientHold } from '../sms/opt-out-service.js';
import { queueSms } from '../sms/send-service.js';
import { findOrCreatePhoneUser } from '../sms/sms-users.js';
import { greetCaller } from './call-greeting.js';
import { hangUp, listen, REJECT, type CallPlan } from './call-plan.js';
import { claimCallback, countCallSeconds, findCall, LIVE_STATUSES, pendingOperatorTurns, type CallEvent, type TurnDraft } from './call-records.js';
import { callContext, LINK_TOOL, revokesCalls, TRANSFER_TOOL, voiceTools } from './voice-intents.js';
import { effectiveVoice, type VoiceSettings } from './voice-settings.js';

/**
 * The call loop, whatever the provider: what happens when a call comes in or is answered, at each
 * thing the caller says (or does not say), and how it ends. Each step returns a plan (rendered as
 * SVAML or TwiML by the webhook) and what to record; the webhook records it with its latency.
 */

export interface CallStep {
  plan: CallPlan;
  turns: TurnDraft[];
  patch?: Updateable<CallsTable>;
  events?: CallEvent[];
  /** Pending operator turns spoken by this step. */
  spoke?: string[];
}

export interface CallScene {
  ctx: ServiceContext;
  call: CallRow;
  bot: BotRow;
  settings: VoiceSettings;
  /** The caller (null once erased). */
  user: EndUserRow | null;
  /** Operator words waiting to be spoken, oldest first. */
  pending: Array<{ id: string; text: string }>;
}

const bot = (text: string, kind: string, messageId: string | null = null): TurnDraft => ({ role: 'bot', kind, text, messageId });
const step = (plan: CallPlan, turns: TurnDraft[] = [], more: Omit<CallStep, 'plan' | 'turns'> = {}): CallStep => ({ plan, turns, ...more });
const botNumber = (call: CallRow) => (call.direction === 'inbound' ? call.to_number : call.from_number);
const isLive = (call: CallRow) => (LIVE_STATUSES as readonly string[]).includes(call.status) && !call.ended_at;
const callData = (call: CallRow, extra: Record<string, unknown> = {}) => ({ call_id: call.id, bot_id: call.bot_id, direction: call.direction, ...extra });

const HIDDEN_NUMBER = "Sorry, this line can't take calls from a hidden number. Goodbye.";
const TROUBLE = "Sorry, I'm having a little trouble right now. Could you say that again?";
const HOLD = 'One moment, please.';
const optedOutNotice = (name: string) => `You asked not to be contacted by ${name}, so this call can't continue. Text START to this number if you change your mind. Goodbye.`;
const revokedNotice = (name: string) => `Understood. You won't get any more calls or texts from ${name}. Goodbye.`;

/** The scene of a known call: its account's context, bot, voice settings, caller and waiting operator words (null when the bot is gone). */
export async function loadScene(deps: AppDeps, call: CallRow): Promise<CallScene | null> {
  // Independent reads: on PostgreSQL they go out together (the caller is waiting).
  const [row, user, pending] = await Promise.all([
    deps.db.selectFrom('bots').selectAll().where('id', '=', call.bot_id).where('deleted_at', 'is', null).executeTakeFirst(),
    call.end_user_id ? deps.db.selectFrom('end_users').selectAll().where('id', '=', call.end_user_id).executeTakeFirst() : undefined,
    pendingOperatorTurns(deps.db, call.id),
  ]);
  return row ? { ctx: systemContext(deps, call.account_id), call, bot: row, settings: effectiveVoice(row.voice, deps.config), user: user ?? null, pending } : null;
}

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
      return { kind: 'step', scene, step: step(hangUp(notice), [bot(notice, 'notice')]) };
    }
    const greeting = await greetCaller(trx, ctx, { bot: botRow, user, now });
    await trx.updateTable('calls').set({ conversation_id: greeting.conversationId }).where('id', '=', call.id).execute();
    const started: CallEvent = { type: 'call.started', data: callData(call, { user_id: user.user_id, conversation_id: greeting.conversationId }) };
    return {
      kind: 'step',
      scene: { ...scene, call: { ...call, conversation_id: greeting.conversationId } },
      step: step({ ...listen(...greeting.lines.map((l) => l.text)), record: settings.record }, greeting.lines.map((l) => bot(l.text, 'greeting', l.messageId)), { events: [started] }),
    };
  });
}

/** An outbound call was answered: a machine gets the voicemail message and a hangup, a person the greeting and the loop. */
export async function answeredCall(scene: CallScene, answeredBy: 'human' | 'machine' | 'unknown'): Promise<CallStep> {
  const { ctx, call, settings } = scene;
  if (!isLive(call)) return step(hangUp());
  const now = new Date();
  const patch = { status: 'in_progress' as const, answered_at: call.answered_at ?? now, answered_by: answeredBy };
  if (answeredBy === 'machine') {
    const message = fillBotName(settings.voicemail_message, scene.bot.name);
    return step(hangUp(message), [bot(message, 'voicemail')], { patch });
  }
  const user = scene.user;
  if (!user) return step(hangUp(), [], { patch });
  const greeting = await ctx.db.transaction().execute((trx) => greetCaller(trx, ctx, { bot: scene.bot, user, now }));
  return step(
    listen(...greeting.lines.map((l) => l.text)),
    greeting.lines.map((l) => bot(l.text, 'greeting', l.messageId)),
    { patch: { ...patch, conversation_id: greeting.conversationId } },
  );
}

export type CallerInput = { kind: 'speech'; text: string } | { kind: 'silence' };

/** One turn of the caller: what they said (or their silence), answered by the conversation engine. */
export async function callerTurn(scene: CallScene, input: CallerInput): Promise<CallStep> {
  const { ctx, call, settings } = scene;
  if (!isLive(call)) return step(hangUp());
  const goodbye = () => hangUp(settings.goodbye_message);
  const elapsed = call.answered_at ? (Date.now() - call.answered_at.getTime()) / 1000 : 0;
  if (elapsed >= settings.max_duration_seconds) return step(goodbye(), [bot(settings.goodbye_message, 'goodbye')]);

  const operatorLines = scene.pending.map((p) => p.text);
  const spoke = scene.pending.map((p) => p.id);
  if (input.kind === 'silence') {
    if (operatorLines.length) return step(listen(...operatorLines), [], { spoke, patch: { silences: 0 } });
    // While a person has taken over, silence is the caller waiting for them: no re-prompt, no count.
    if (await takenOver(scene)) return step(listen());
    if (call.silences >= settings.max_reprompts) return step(goodbye(), [bot(settings.goodbye_message, 'goodbye')]);
    return step(listen(settings.reprompt_message), [bot(settings.reprompt_message, 'reprompt')], { patch: { silences: call.silences + 1 } });
  }

  const heard: TurnDraft = { role: 'caller', kind: 'speech', text: input.text };
  const user = scene.user;
  if (!user) return step(hangUp(), [heard]);
  if (revokesCalls(input.text)) return revoke(scene, user, heard);

  const linkOffered = call.offer === 'calendar_link';
  const canText = Boolean(scene.bot.calendar_link) && (await pickNumber(ctx.db, ctx.accountId, { botId: scene.bot.id, phone: user.phone ?? '', from: botNumber(call) })) !== null;
  const tools = voiceTools({ hasTransferNumber: Boolean(scene.bot.transfer_number), calendarLink: scene.bot.calendar_link, canText, linkOffered });
  const started = performance.now();
  let result: TurnResult;
  try {
    const turn = await converse(ctx, { bot: scene.bot, userId: user.user_id, channel: 'voice', message: input.text, tools, context: callContext(call) });
    result = await turn.done;
  } catch (err) {
    if (err instanceof ProviderError) return step(listen(TROUBLE), [heard, bot(TROUBLE, 'notice')], { patch: { silences: 0 } });
    // Blocked meanwhile, or erased: the call has nothing more to say.
    if (err instanceof DomainError) return step(hangUp(), [heard]);
    throw err;
  }
  const engineMs = Math.round(performance.now() - started);
  heard.messageId = result.user_message_id;
  const base = { silences: 0, offer: null };

  if (result.takeover) {
    const lines = operatorLines.length ? operatorLines : [HOLD];
    return step(listen(...lines), [heard, ...(operatorLines.length ? [] : [bot(HOLD, 'hold')])], { spoke, patch: base });
  }
  const reply = [...operatorLines, ...[result.opening_message, result.reply].filter((t): t is string => Boolean(t))];
  const said = [heard, { ...bot(result.reply ?? '', 'speech', result.message_id), engineMs }];
  if (result.tool === TRANSFER_TOOL && scene.bot.transfer_number) {
    const remaining = Math.max(60, Math.floor(settings.max_duration_seconds - elapsed));
    return step(
      { say: reply, next: { kind: 'transfer', number: scene.bot.transfer_number, cli: botNumber(call), maxDurationSeconds: remaining } },
      [heard, { ...said[1]!, kind: 'transfer' }],
      { spoke, patch: { ...base, transferred_to: scene.bot.transfer_number, transferred_at: new Date() }, events: [{ type: 'call.transferred', data: callData(call, { user_id: user.user_id, to: scene.bot.transfer_number }) }] },
    );
  }
  if (result.tool === LINK_TOOL && user.phone) await textLink(scene, user, result.message_id ?? newId('msg'));
  const offer = result.tool === TRANSFER_TOOL && tools[LINK_TOOL] ? 'calendar_link' : null;
  return step(listen(...reply), said, { spoke, patch: { ...base, offer } });
}

/** Whether a person has taken this call's conversation over (or the bot is switched off). */
async function takenOver(scene: CallScene): Promise<boolean> {
  if (!scene.call.conversation_id) return false;
  const conversation = await scene.ctx.db.selectFrom('conversations').select(['bot_enabled', 'resume_at']).where('id', '=', scene.call.conversation_id).executeTakeFirst();
  return Boolean(conversation) && !botAnswers(scene.bot, conversation!);
}

/** "Stop calling me": the number joins the account's suppression list (shared with SMS) and the call ends. */
async function revoke(scene: CallScene, user: EndUserRow, heard: TurnDraft): Promise<CallStep> {
  const { ctx } = scene;
  await ctx.db.transaction().execute((trx) => optOutPhone(trx, ctx, { botId: scene.bot.id, phone: user.phone ?? scene.call.from_number, reason: 'voice_request' }));
  const notice = revokedNotice(scene.bot.name);
  return step(hangUp(notice), [heard, bot(notice, 'notice')]);
}

/** The booking link, texted from the bot's number the caller is on when it texts (else its SMS number); once per reply. */
async function textLink(scene: CallScene, user: EndUserRow, replyId: string): Promise<void> {
  const { ctx, bot: b } = scene;
  await ctx.db.transaction().execute((trx) =>
    queueSms(trx, ctx, { botId: b.id, to: user.phone!, from: botNumber(scene.call), body: `${b.name}: here is the link to book a time: ${b.calendar_link}`, sendKey: `call-link:${replyId}`, endUserId: user.id }).catch((err: unknown) => {
      if (err instanceof DomainError) ctx.log.info({ call_id: scene.call.id, code: err.code }, 'voice: the calendar link could not be texted');
      else throw err;
    }),
  );
}

/** A transfer's outcome (Twilio's Dial action): after a connected call the call is over; otherwise the bot carries on. */
export function transferEnded(scene: CallScene, connected: boolean): CallStep {
  if (connected) return step(hangUp());
  const sorry = "Sorry, no one could take the call just now. I'm still here to help.";
  return step(listen(sorry), [bot(sorry, 'notice')], { patch: { transferred_to: null, transferred_at: null } });
}

/** How a call ended, as the provider reports it (DiCE, Twilio's status callback). */
export interface CallEnding {
  status: 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled';
  result: string | null;
  reason: string | null;
  durationSeconds: number | null;
  cost: number | null;
  currency: string | null;
}

/**
 * Closes the record once the provider says how the call ended: status (a refused call stays
 * rejected), result, reason, talk time (counted toward plan minutes) and cost, and `call.ended`.
 * The provider may say it twice; the first report that carries the talk time wins.
 */
export async function closeCall(deps: AppDeps, call: CallRow, ending: CallEnding): Promise<void> {
  const ctx = systemContext(deps, call.account_id);
  await ctx.db.transaction().execute(async (trx) => {
    const closed = await trx
      .updateTable('calls')
      .set((eb) => ({
        status: eb.case().when('status', '=', 'rejected').then(eb.ref('status')).else(ending.status).end(),
        result: ending.result,
        reason: eb.fn.coalesce(eb.ref('reason'), eb.val(ending.reason)),
        duration_seconds: ending.durationSeconds ?? 0,
        cost: ending.cost,
        currency: ending.currency,
        ended_at: eb.fn.coalesce(eb.ref('ended_at'), eb.val(new Date())),
        updated_at: new Date(),
      }))
      .where('id', '=', call.id)
      .where('duration_seconds', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!closed) return;
    await countCallSeconds(trx, closed, closed.duration_seconds ?? 0);
    const user = closed.end_user_id ? await trx.selectFrom('end_users').select('user_id').where('id', '=', closed.end_user_id).executeTakeFirst() : undefined;
    await emitEvent(trx, ctx, 'call.ended', callData(closed, { user_id: user?.user_id ?? null, status: closed.status, result: closed.result, reason: closed.reason, duration_seconds: closed.duration_seconds }));
  });
}

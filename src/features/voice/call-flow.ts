import { DomainError, ProviderError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { EndUserRow } from '../../db/schema.js';
import { botAnswers, converse, type TurnResult } from '../../engine/converse.js';
import { fillBotName } from '../sms/keywords.js';
import { pickNumber } from '../sms/numbers.js';
import { optOutPhone } from '../sms/opt-out-service.js';
import { queueSms } from '../sms/send-service.js';
import { greetCaller, greetingStep } from './call-greeting.js';
import { CONTINUE, hangUp, listen } from './call-plan.js';
import type { TurnDraft } from './call-records.js';
import { botNumber, botTurn, callData, isLive, LINE_UNAVAILABLE, step, type CallScene, type CallStep } from './call-scene.js';
import { callContext, LINK_TOOL, revokesCalls, TRANSFER_TOOL, voiceTools } from './voice-intents.js';

/**
 * The call loop, whatever the provider: an outbound call answered, each thing the caller says (or
 * does not say), and the end of a transfer. The call coming in is inbound-call.ts; its end, call-ending.ts.
 */

const TROUBLE = "Sorry, I'm having a little trouble right now. Could you say that again?";
const HOLD = 'One moment, please.';
const revokedNotice = (name: string) => `Understood. You won't get any more calls or texts from ${name}. Goodbye.`;

/** An outbound call was answered: a machine gets the voicemail message and a hangup, a person the greeting and the loop. */
export async function answeredCall(scene: CallScene, answeredBy: 'human' | 'machine' | 'unknown'): Promise<CallStep> {
  const { ctx, call, settings } = scene;
  if (!isLive(call)) return step(hangUp());
  // A call already answered is being put through (connectPstn): this ACE is the transfer's leg.
  if (call.answered_at) return step(CONTINUE);
  const now = new Date();
  const patch = { status: 'in_progress' as const, answered_at: call.answered_at ?? now, answered_by: answeredBy };
  if (answeredBy === 'machine') {
    const message = fillBotName(settings.voicemail_message, scene.bot.name);
    return step(hangUp(message), [botTurn(message, 'voicemail')], { patch });
  }
  const user = scene.user;
  if (!user) return step(hangUp(), [], { patch });
  const greeting = await ctx.db.transaction().execute((trx) => greetCaller(trx, ctx, { bot: scene.bot, user, now }));
  return greetingStep(greeting, { patch: { ...patch, conversation_id: greeting.conversationId } });
}

export type CallerInput = { kind: 'speech'; text: string } | { kind: 'silence' };

/** One turn of the caller: what they said (or their silence), answered by the conversation engine. */
export async function callerTurn(scene: CallScene, input: CallerInput): Promise<CallStep> {
  const { ctx, call, settings } = scene;
  if (!isLive(call)) return step(hangUp());
  const goodbye = () => hangUp(settings.goodbye_message);
  const elapsed = call.answered_at ? (Date.now() - call.answered_at.getTime()) / 1000 : 0;
  if (elapsed >= settings.max_duration_seconds) return step(goodbye(), [botTurn(settings.goodbye_message, 'goodbye')]);

  const operatorLines = scene.pending.map((p) => p.text);
  const spoke = scene.pending.map((p) => p.id);
  if (input.kind === 'silence') {
    if (operatorLines.length) return step(listen(...operatorLines), [], { spoke, patch: { silences: 0 } });
    // While a person has taken over, silence is the caller waiting for them: no re-prompt, no count.
    if (await takenOver(scene)) return step(listen());
    if (call.silences >= settings.max_reprompts) return step(goodbye(), [botTurn(settings.goodbye_message, 'goodbye')]);
    return step(listen(settings.reprompt_message), [botTurn(settings.reprompt_message, 'reprompt')], { patch: { silences: call.silences + 1 } });
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
    if (err instanceof ProviderError) return step(listen(TROUBLE), [heard, botTurn(TROUBLE, 'notice')], { patch: { silences: 0 } });
    if (err instanceof DomainError && err.type === 'plan_limit') return step(hangUp(LINE_UNAVAILABLE), [heard, botTurn(LINE_UNAVAILABLE, 'notice')]);
    // Blocked meanwhile, or erased: the call has nothing more to say.
    if (err instanceof DomainError) return step(hangUp(), [heard]);
    throw err;
  }
  const engineMs = Math.round(performance.now() - started);
  heard.messageId = result.user_message_id;
  const base = { silences: 0, offer: null };

  if (result.takeover) {
    const lines = operatorLines.length ? operatorLines : [HOLD];
    return step(listen(...lines), [heard, ...(operatorLines.length ? [] : [botTurn(HOLD, 'hold')])], { spoke, patch: base });
  }
  const reply = [...operatorLines, ...[result.opening_message, result.reply].filter((t): t is string => Boolean(t))];
  const said = [heard, { ...botTurn(result.reply ?? '', 'speech', result.message_id), engineMs }];
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
  return step(hangUp(notice), [heard, botTurn(notice, 'notice')]);
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
  return step(listen(sorry), [botTurn(sorry, 'notice')], { patch: { transferred_to: null, transferred_at: null } });
}


import type { Updateable } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import type { BotRow, CallRow, CallsTable, EndUserRow } from '../../db/schema.js';
import type { CallPlan } from './call-plan.js';
import { LIVE_STATUSES, pendingOperatorTurns, type CallEvent, type TurnDraft } from './call-records.js';
import { effectiveVoice, type VoiceSettings } from './voice-settings.js';

/**
 * What the steps of a call work on (the scene: the call, its bot, settings and caller) and what each
 * returns (a plan, rendered as SVAML or TwiML by the webhook, and what to record with its latency).
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

/** What a caller hears when the account cannot take (more of) the call: a plan limit reached. */
export const LINE_UNAVAILABLE = 'Sorry, this line is unavailable right now. Please try again later. Goodbye.';

export const botTurn = (text: string, kind: string, messageId: string | null = null): TurnDraft => ({ role: 'bot', kind, text, messageId });
export const step = (plan: CallPlan, turns: TurnDraft[] = [], more: Omit<CallStep, 'plan' | 'turns'> = {}): CallStep => ({ plan, turns, ...more });
export const botNumber = (call: CallRow) => (call.direction === 'inbound' ? call.to_number : call.from_number);
export const isLive = (call: CallRow) => (LIVE_STATUSES as readonly string[]).includes(call.status) && !call.ended_at;
export const callData = (call: CallRow, extra: Record<string, unknown> = {}) => ({ call_id: call.id, bot_id: call.bot_id, direction: call.direction, ...extra });


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

import { z } from 'zod';
import { Id, PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';
import { UserId } from '../users/schemas.js';
import { VoicePatch, VoiceView } from './voice-settings.js';

export const CallId = Id('call', 'call');
export const CALL_STATUSES = ['queued', 'ringing', 'in_progress', 'completed', 'busy', 'no_answer', 'failed', 'canceled', 'rejected'] as const;

export const MakeCallInput = z.strictObject({
  bot_id: BotId,
  to: UserId.describe('The end user: their user_id, or an E.164 number (starting with +; the user is created if new)'),
  purpose: z.string().trim().min(1).max(1000).optional().describe('Why the bot calls: context the bot is given for the call'),
  amd: z.boolean().optional().describe('Answering-machine detection (default: the bot\'s voice settings): a machine gets the voicemail message'),
});
export type MakeCallInput = z.infer<typeof MakeCallInput>;

export const CallIdInput = z.strictObject({ call_id: CallId });
export type CallIdInput = z.infer<typeof CallIdInput>;

export const GetCallsQuery = z.strictObject({
  bot_id: BotId.optional(),
  user_id: UserId.optional().describe('Only calls with this end user (their user_id)'),
  status: z.enum(CALL_STATUSES).optional(),
  ...PageQuery,
});
export type GetCallsQuery = z.infer<typeof GetCallsQuery>;

export const CallView = z.object({
  call_id: z.string(),
  bot_id: z.string(),
  user_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
  provider: z.enum(['sinch', 'twilio']),
  provider_call_id: z.string().nullable(),
  direction: z.enum(['inbound', 'outbound']),
  from: z.string(),
  to: z.string(),
  status: z.enum(CALL_STATUSES).describe('rejected: refused at once (a blocked caller) or ended with a notice (an opted-out caller)'),
  result: z.string().nullable().describe('The provider\'s result (ANSWERED, BUSY, NOANSWER, FAILED, …)'),
  reason: z.string().nullable().describe('Why it ended (CALLERHANGUP, …) or was refused (blocked, opted_out)'),
  purpose: z.string().nullable(),
  amd: z.boolean(),
  answered_by: z.enum(['human', 'machine', 'unknown']).nullable(),
  transfer: z.object({ to: z.string(), at: z.string() }).nullable(),
  recording_url: z.string().nullable(),
  duration_seconds: z.number().int().nullable(),
  cost: z.number().nullable(),
  currency: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  answered_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});

export const CallTurn = z.object({
  turn_id: z.string(),
  role: z.enum(['caller', 'bot', 'operator']),
  kind: z.string().describe('speech, greeting, reprompt, goodbye, transfer, voicemail, hold or notice'),
  text: z.string(),
  at: z.string(),
  latency_ms: z.number().int().nullable().describe('Bot turns: server time from the provider\'s callback to the answer'),
  engine_ms: z.number().int().nullable().describe('Bot turns: of which the conversation engine (model included)'),
  message_id: z.string().nullable(),
});

export const CallDetail = CallView.extend({
  transcript: z.array(CallTurn),
  latency: z.object({ turns: z.number().int(), p50_ms: z.number().int().nullable(), max_ms: z.number().int().nullable() }),
});

export const VoiceSettingsResult = z.object({ bot_id: z.string(), voice: VoiceView });
export const EditVoiceSettingsInput = z.strictObject({ bot_id: BotId, voice: VoicePatch });
export type EditVoiceSettingsInput = z.infer<typeof EditVoiceSettingsInput>;

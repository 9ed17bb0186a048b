import { z } from 'zod';
import { Id } from '../../core/http/schema.js';
import { BotId, BotRef } from '../bots/schemas.js';
import { PolicyPatch, PolicyView } from './policy-settings.js';
import { HttpsUrl, OpeningMessage, Prompt, Ui, UiPatch, Values, ValuesPatch } from './settings.js';

export const PromptResult = z.object({ bot_id: z.string(), prompt: z.string(), version: z.number() });
export const EditPromptInput = z.strictObject({ bot_id: BotId, prompt: Prompt });
export const ModifyPromptInput = z.strictObject({ bot: BotRef, prompt: Prompt });
export const RetrievePromptQuery = z.strictObject({ bot: BotRef });

export const OpeningResult = z.object({ bot_id: z.string(), opening_message: z.string() });
export const EditOpeningInput = z.strictObject({ bot_id: BotId, opening_message: OpeningMessage });

export const UiResult = z.object({ bot_id: z.string(), ui: Ui });
export const EditUiInput = z.strictObject({ bot_id: BotId, ui: UiPatch });

export const ValuesResult = z.object({ bot_id: z.string(), values: Values });
export const EditValuesInput = z.strictObject({ bot_id: BotId, values: ValuesPatch });

export const PolicyResult = z.object({ bot_id: z.string(), policy: PolicyView });
export const EditPolicyInput = z.strictObject({ bot_id: BotId, policy: PolicyPatch });

export const CalendarInput = z.strictObject({ bot_id: BotId, url: HttpsUrl.nullable().describe('https booking link; null removes it') });
export const CalendarResult = z.object({ bot_id: z.string(), calendar_link: z.string().nullable() });
export const TransferInput = z.strictObject({ bot_id: BotId, number: z.string().max(20).nullable().describe('E.164; null removes it') });
export const TransferResult = z.object({ bot_id: z.string(), transfer_number: z.string().nullable() });

export const RetrainInput = z.strictObject({
  bot_id: BotId,
  response: z.string().trim().min(1).max(4000),
  message_id: Id('msg', 'message').optional().describe('The bot reply to correct; its question is the user message before it'),
  question: z.string().trim().min(1).max(1000).optional(),
});
export type RetrainInput = z.infer<typeof RetrainInput>;
export const RetrainResult = z.object({
  response_id: z.string(),
  bot_id: z.string(),
  question: z.string(),
  response: z.string(),
  hits: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const PromptVersion = z.object({
  version: z.number(),
  prompt: z.string(),
  source: z.enum(['create', 'edit', 'restore']),
  restored_from: z.number().nullable(),
  actor: z.string().nullable(),
  created_at: z.string(),
  current: z.boolean(),
});
export const RestoreInput = z.strictObject({ bot_id: BotId, version: z.number().int().min(1).max(2_147_483_647) });

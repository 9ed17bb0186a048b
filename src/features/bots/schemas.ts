import { z } from 'zod';
import { Id } from '../../core/http/schema.js';
import { PolicyView } from '../prompts/policy-settings.js';
import { OpeningMessage, Prompt, Ui, UiPatch, Values, ValuesInput } from '../prompts/settings.js';

export const BotId = Id('bot', 'bot');
export const Handle = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/, 'must be 3-40 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
export const BotName = z.string().trim().min(1, 'must not be empty').max(100);
export const Model = z.string().regex(/^[\w.:/@-]{1,100}$/, 'must be a model name (letters, digits, . : / @ - _; max 100)');

export const CreateBotInput = z.strictObject({
  name: BotName,
  handle: Handle.optional().describe('Unique public handle; usable instead of the id as `creator`'),
  prompt: Prompt.optional(),
  opening_message: OpeningMessage.optional(),
  ui: UiPatch.optional(),
  values: ValuesInput.optional(),
  model: Model.optional().describe('Model override for this bot'),
});
export type CreateBotInput = z.infer<typeof CreateBotInput>;

export const Bot = z
  .object({
    bot_id: z.string(),
    name: z.string(),
    handle: z.string().nullable(),
    prompt: z.string(),
    prompt_version: z.number(),
    opening_message: z.string(),
    ui: Ui,
    values: Values,
    model: z.string().nullable(),
    calendar_link: z.string().nullable(),
    transfer_number: z.string().nullable(),
    policy: PolicyView,
    response_enabled: z.boolean().describe('False while a human has taken over the whole bot'),
    response_resume_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Bot' });

export const TrialBotResult = z.object({
  bot_id: z.string(),
  claim_token: z.string().describe('Pass to /create_account to keep this bot'),
  conversation_key: z.string().describe('A conversation key for this bot, to try it at once'),
  expires_at: z.string(),
});

export const BotIdQuery = z.strictObject({ bot_id: BotId });
export const BotRef = z.string().min(1).max(100).describe('A bot id, handle or name');

export const SetBotNameInput = z.strictObject({ bot_id: BotId, name: BotName });

export const ToggleInput = z.strictObject({
  bot_id: BotId,
  enabled: z.boolean().optional().describe('Omit to flip the current state'),
  conversation_id: Id('conv', 'conversation').optional().describe('Scope the switch to one conversation'),
  resume_after_minutes: z.number().int().min(1).max(43_200).optional().describe('Hand back to the bot automatically after this many minutes'),
});
export type ToggleInput = z.infer<typeof ToggleInput>;

export const ToggleResult = z.object({
  bot_id: z.string(),
  conversation_id: z.string().nullable(),
  enabled: z.boolean(),
  resume_at: z.string().nullable(),
});

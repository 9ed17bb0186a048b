import type { ServiceContext } from '../../core/context.js';
import { loadBot } from '../bots/bot-access.js';
import { updateBot } from '../bots/update-bot.js';
import { mergeSettings } from '../prompts/policy-settings.js';
import type { EditVoiceSettingsInput } from './schemas.js';
import { effectiveVoice } from './voice-settings.js';

export async function getVoiceSettings({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string } }) {
  const bot = await loadBot(ctx, input.bot_id);
  return { bot_id: bot.id, voice: effectiveVoice(bot.voice, ctx.config) };
}

export async function editVoiceSettings({ ctx, input }: { ctx: ServiceContext; input: EditVoiceSettingsInput }) {
  const bot = await updateBot(ctx, input.bot_id, 'bot.voice_settings_edited', (b) => ({ voice: JSON.stringify(mergeSettings(b.voice, input.voice)) }), () => ({ voice: input.voice }));
  return { bot_id: bot.id, voice: effectiveVoice(bot.voice, ctx.config) };
}

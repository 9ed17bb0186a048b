import type { ServiceContext } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { toE164 } from '../../core/phone.js';
import { loadBot, resolveCreator } from '../bots/bot-access.js';
import { updateBot } from '../bots/update-bot.js';
import { effectivePolicy, mergeSettings, type PolicyPatch } from './policy-settings.js';
import { countCustom, effectiveUi, effectiveValues, MAX_CUSTOM_SLIDERS, mergeUi, mergeValues, type UiPatch } from './settings.js';

type BotInput = { bot_id: string };
/** The widget's reads name the bot by id, or by id or handle as `creator`. */
type WidgetInput = { bot_id?: string | undefined; creator?: string | undefined };
const widgetBot = (ctx: ServiceContext, input: WidgetInput) => (input.creator !== undefined ? resolveCreator(ctx, input.creator) : loadBot(ctx, input.bot_id!));

export async function getOpeningMessage({ ctx, input }: { ctx: ServiceContext; input: WidgetInput }) {
  const bot = await widgetBot(ctx, input);
  return { bot_id: bot.id, opening_message: bot.opening_message };
}

export async function editOpeningMessage({ ctx, input }: { ctx: ServiceContext; input: BotInput & { opening_message: string } }) {
  const bot = await updateBot(ctx, input.bot_id, 'bot.opening_message_edited', () => ({ opening_message: input.opening_message }));
  return { bot_id: bot.id, opening_message: bot.opening_message };
}

export async function getUi({ ctx, input }: { ctx: ServiceContext; input: WidgetInput }) {
  const bot = await widgetBot(ctx, input);
  return { bot_id: bot.id, ui: effectiveUi(bot.ui, bot.name) };
}

export async function editUi({ ctx, input }: { ctx: ServiceContext; input: BotInput & { ui: UiPatch } }) {
  const bot = await updateBot(ctx, input.bot_id, 'bot.ui_edited', (b) => ({ ui: JSON.stringify(mergeUi(b.ui, input.ui)) }), () => ({ fields: Object.keys(input.ui) }));
  return { bot_id: bot.id, ui: effectiveUi(bot.ui, bot.name) };
}

export async function getValues({ ctx, input }: { ctx: ServiceContext; input: BotInput }) {
  const bot = await loadBot(ctx, input.bot_id);
  return { bot_id: bot.id, values: effectiveValues(bot.sliders) };
}

export async function editValues({ ctx, input }: { ctx: ServiceContext; input: BotInput & { values: Record<string, number | null> } }) {
  const bot = await updateBot(
    ctx,
    input.bot_id,
    'bot.values_edited',
    (b) => {
      const next = mergeValues(b.sliders, input.values);
      if (countCustom(next) > MAX_CUSTOM_SLIDERS) throw invalid('values', `A bot has at most ${MAX_CUSTOM_SLIDERS} custom sliders.`);
      return { sliders: JSON.stringify(next) };
    },
    () => ({ values: input.values }),
  );
  return { bot_id: bot.id, values: effectiveValues(bot.sliders) };
}

export async function setCalendarLink({ ctx, input }: { ctx: ServiceContext; input: BotInput & { url: string | null } }) {
  const bot = await updateBot(ctx, input.bot_id, 'bot.calendar_link_set', () => ({ calendar_link: input.url }), (b) => ({ calendar_link: b.calendar_link }));
  return { bot_id: bot.id, calendar_link: bot.calendar_link };
}

export async function setTransferNumber({ ctx, input }: { ctx: ServiceContext; input: BotInput & { number: string | null } }) {
  const number = input.number === null ? null : toE164(input.number, 'number');
  const bot = await updateBot(ctx, input.bot_id, 'bot.transfer_number_set', () => ({ transfer_number: number }));
  return { bot_id: bot.id, transfer_number: bot.transfer_number };
}

export async function getPolicy({ ctx, input }: { ctx: ServiceContext; input: WidgetInput }) {
  const bot = await widgetBot(ctx, input);
  return { bot_id: bot.id, policy: effectivePolicy(bot.policy) };
}

export async function editPolicy({ ctx, input }: { ctx: ServiceContext; input: BotInput & { policy: PolicyPatch } }) {
  const bot = await updateBot(ctx, input.bot_id, 'bot.policy_edited', (b) => ({ policy: JSON.stringify(mergeSettings(b.policy, input.policy)) }), () => ({ policy: input.policy }));
  return { bot_id: bot.id, policy: effectivePolicy(bot.policy) };
}

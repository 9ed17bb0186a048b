import type { Transaction } from 'kysely';
import type { BotRow, DB, EndUserRow } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { countTokens } from '../../engine/history.js';
import { findOrCreateConversation, lockConversation } from '../../engine/participants.js';
import { DEFAULT_POLICY, effectivePolicy } from '../prompts/policy-settings.js';
import { listen } from './call-plan.js';
import { botTurn, step, type CallStep } from './call-scene.js';

/** The step that speaks a greeting and then listens, with its lines as the call's first bot turns. */
export function greetingStep(greeting: { lines: Array<{ text: string; messageId: string }> }, more: Omit<CallStep, 'plan' | 'turns'> = {}, record = false): CallStep {
  return step({ ...listen(...greeting.lines.map((l) => l.text)), record }, greeting.lines.map((l) => botTurn(l.text, 'greeting', l.messageId)), more);
}

/** On a call the age question is answered by voice: the chat default ("Reply YES") becomes a spoken one. */
const VOICE_AGE_QUESTION = 'This line is for adults only. Please say yes to confirm you are 18 or older.';

/**
 * What the bot says when a call connects, stored in the caller's voice conversation as the bot's
 * messages: the AI disclosure line (when the bot has one for calls), then the age question while the
 * age gate is unanswered, else the opening message. Every call is greeted, not only the first: a
 * call is a new encounter even in a continuing conversation.
 */
export async function greetCaller(trx: Transaction<DB>, ctx: ServiceContext, at: { bot: BotRow; user: EndUserRow; now: Date }): Promise<{ conversationId: string; lines: Array<{ text: string; messageId: string }> }> {
  const { bot, user } = at;
  const policy = effectivePolicy(bot.policy);
  await lockConversation(trx, bot.id, user.user_id, 'voice');
  const { conversation } = await findOrCreateConversation(trx, ctx, { botId: bot.id, userId: user.user_id, channel: 'voice', now: at.now });
  const said: Array<{ text: string; source: string }> = [];
  if (policy.ai_disclosure && (policy.ai_disclosure_channels as string[]).includes('voice')) said.push({ text: policy.ai_disclosure, source: 'disclosure' });
  if (policy.age_gate && !user.age_verified) {
    const question = policy.age_confirmation_message === DEFAULT_POLICY.age_confirmation_message ? VOICE_AGE_QUESTION : policy.age_confirmation_message;
    said.push({ text: question, source: 'age_gate' });
  } else {
    said.push({ text: bot.opening_message.trim() || `Hi, this is ${bot.name}. How can I help you today?`, source: 'opening' });
  }
  const lines = said.map((l) => ({ ...l, messageId: newId('msg') }));
  await trx
    .insertInto('messages')
    .values(lines.map((l) => ({ id: l.messageId, account_id: ctx.accountId, conversation_id: conversation.id, role: 'assistant' as const, content: l.text, source: l.source, tokens: countTokens(l.text) })))
    .execute();
  await trx.updateTable('conversations').set({ last_message_at: at.now, updated_at: at.now }).where('id', '=', conversation.id).execute();
  return { conversationId: conversation.id, lines: lines.map((l) => ({ text: l.text, messageId: l.messageId })) };
}

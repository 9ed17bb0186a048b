import type { ServiceContext } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { converse, type Turn, type TurnResult } from '../../engine/converse.js';
import { resolveBotRef } from '../bots/bot-access.js';
import { MAX_MESSAGE_CHARS, type ChatCompletionInput, type ChatMessage, type FinishReason, type Usage } from './schemas.js';

/**
 * The channel conversation_api uses: the same bot and user id reach the same conversation, so a fan
 * can move between the two APIs and the bot remembers both.
 */
const CHANNEL = 'api';

/**
 * The message the bot answers: the last user message. The server keeps the conversation, so the
 * history a client sends is not read. It could be anything (the key is publishable, and sits in web
 * pages): earlier "assistant" lines would put words in the bot's mouth that it never said, and
 * "system"/"developer" messages would override the creator's persona and the safety rules. Nothing
 * after the last user message may need an answer (a prefilled assistant turn, a tool result), since
 * it would be lost.
 */
export function incomingMessage(messages: ChatMessage[]): string {
  let at = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      at = i;
      break;
    }
  }
  if (at < 0) throw invalid('messages', 'messages must include a user message: the bot answers the last one.', 'no_user_message');
  const after = messages.slice(at + 1).find((m) => m.role !== 'system' && m.role !== 'developer');
  if (after) {
    throw invalid('messages', `messages must end with the user message to answer, not a ${after.role} message: the server keeps the conversation, send only the new message.`);
  }
  const content = (messages[at] as { content: string | Array<{ text: string }> }).content;
  const text = (typeof content === 'string' ? content : content.map((p) => p.text).join('\n')).trim();
  const param = `messages.${at}.content`;
  if (!text) throw invalid(param, 'The user message must not be empty.');
  if (text.length > MAX_MESSAGE_CHARS) throw invalid(param, `The user message must be at most ${MAX_MESSAGE_CHARS} characters.`);
  return text;
}

/**
 * Starts a turn with the bot named by `model` (id or handle; within the key's bots, 403 outside them,
 * 404 for another account's), as conversation_api does. The user's message is stored by the time this
 * returns; the reply follows through the turn's chunks and `done`.
 */
export async function startChatCompletion({ ctx, input }: { ctx: ServiceContext; input: ChatCompletionInput }): Promise<Turn> {
  const message = incomingMessage(input.messages);
  const bot = await resolveBotRef(ctx, input.model, { param: 'model', byName: false });
  return converse(ctx, { bot, userId: input.user, channel: CHANNEL, message, stream: input.stream === true });
}

/** The stored reply's token counts: zero for answers no model made (curated, safety, builtin) and during a takeover. */
export async function replyUsage(ctx: ServiceContext, turn: TurnResult): Promise<Usage> {
  const row = turn.message_id
    ? await ctx.db
        .selectFrom('messages')
        .select(['tokens_in', 'tokens_out'])
        .where('id', '=', turn.message_id)
        .where('account_id', '=', ctx.accountId)
        .executeTakeFirst()
    : undefined;
  const prompt = row?.tokens_in ?? 0;
  const completion = row?.tokens_out ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const REFUSALS = new Set(['safety', 'moderation', 'blocked_topic']);

/** A refusal answered (hard limits, moderation, a blocked topic) → content_filter, as OpenAI reports filtered output. */
export const finishReason = (turn: TurnResult): FinishReason => (turn.source && REFUSALS.has(turn.source) ? 'content_filter' : 'stop');

import { z } from 'zod';
import { CHANNELS } from '../../core/channels.js';
import { Id, PageQuery } from '../../core/http/schema.js';
import { UserId } from '../users/schemas.js';
import { Model } from '../bots/schemas.js';
import { ValuesInput } from '../prompts/settings.js';

const ApiKeyParam = z.string().max(200).optional().describe('A conversation key (or send it in the api-key header)');
export const Creator = z.string().min(1).max(100).describe('The bot: its id or handle');

export const ConversationApiInput = z.strictObject({
  api_key: ApiKeyParam,
  creator: Creator,
  user_id: UserId.describe('Your id for the end user'),
  message: z.string().trim().min(1, 'must not be empty').max(4000),
  stream: z.boolean().optional().describe('Answer as Server-Sent Events: start, delta…, done'),
  age_confirmed: z.boolean().optional().describe('The user confirmed they are 18 or older (e.g. in the widget\'s age interstitial); recorded with time and channel'),
});
export type ConversationApiInput = z.infer<typeof ConversationApiInput>;

export const ConversationReply = z
  .object({
    conversation_id: z.string(),
    user_message_id: z.string(),
    message_id: z.string().nullable().describe('The reply; null while a human has taken over'),
    reply: z.string().nullable(),
    opening_message: z.string().nullable().describe('Set on the first message of a new conversation'),
    takeover: z.boolean(),
    source: z.enum(['model', 'retrained', 'builtin', 'safety', 'blocked_topic', 'moderation', 'age_gate', 'tool']).nullable().describe('Where the reply came from: the model, a curated answer, the builtin mode, a refusal or age question, or an action the channel takes (on calls: a transfer)'),
    sources: z.array(z.unknown()),
  })
  .meta({ id: 'ConversationReply' });

export const ExternalConversationQuery = z.strictObject({ api_key: ApiKeyParam, creator: Creator, user_id: UserId, ...PageQuery });

export const ExternalMessage = z.object({
  message_id: z.string(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  created_at: z.string(),
});

export const ExternalConversation = z.object({
  conversation_id: z.string().nullable(),
  user_id: z.string(),
  data: z.array(ExternalMessage).describe('Newest first'),
  next_cursor: z.string().nullable(),
});

export const AddMessageInput = z
  .strictObject({
    conversation_id: z.string().regex(/^conv_[0-9a-z]{26}$/, 'must be a conversation id (conv_…)').optional(),
    bot_id: z.string().regex(/^bot_[0-9a-z]{26}$/, 'must be a bot id (bot_…)').optional(),
    user_id: UserId.optional(),
    role: z.enum(['operator', 'assistant', 'user']),
    content: z.string().trim().min(1, 'must not be empty').max(4000),
    deliver: z.boolean().optional().describe('Also send it to the user over the conversation\'s channel: texted on SMS, spoken on the live call of a voice conversation'),
  });
export type AddMessageInput = z.infer<typeof AddMessageInput>;

export const AddedMessage = z.object({
  message_id: z.string(),
  conversation_id: z.string(),
  role: z.enum(['operator', 'assistant', 'user']),
  content: z.string(),
  created_at: z.string(),
  delivered: z.boolean(),
  sms_id: z.string().nullable().describe('With deliver on an SMS conversation: the text queued to the user (see get_sms_messages)'),
  call_id: z.string().nullable().describe('With deliver on a voice conversation: the live call it will be spoken on, at the caller\'s next turn'),
});

const Iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' });
export const ConversationMessagesQuery = z.strictObject({ conversation_id: Id('conv', 'conversation'), ...PageQuery });
export type ConversationMessagesQuery = z.infer<typeof ConversationMessagesQuery>;

export const ConversationMessages = z.object({
  conversation_id: z.string(),
  bot_id: z.string(),
  user_id: z.string(),
  channel: z.string(),
  data: z
    .array(
      z.object({
        message_id: z.string(),
        role: z.enum(['user', 'assistant', 'operator']),
        content: z.string(),
        status: z.enum(['ok', 'pending', 'unanswered', 'flagged']).describe('pending: waiting for its reply; unanswered: the model failed; flagged: stopped by the hard limits'),
        source: z.string().nullable().describe('Where a bot reply came from (model, retrained, builtin, safety, opening, operator…)'),
        latency_ms: z.number().nullable(),
        rating: z.enum(['up', 'down']).nullable().describe('The rating given with feedback_api'),
        created_at: z.string(),
      }),
    )
    .describe('Newest first'),
  next_cursor: z.string().nullable(),
});

export const GetConversationsInput = z.strictObject({
  bot_id: z.string().regex(/^bot_[0-9a-z]{26}$/, 'must be a bot id (bot_…)').optional(),
  channel: z.enum(CHANNELS).optional(),
  user_id: UserId.optional(),
  since: Iso.optional(),
  until: Iso.optional(),
  search: z.string().trim().min(1).max(100).optional().describe('Matches message text or the user id'),
  ...PageQuery,
});
export type GetConversationsInput = z.infer<typeof GetConversationsInput>;

export const ConversationSummary = z.object({
  conversation_id: z.string(),
  bot_id: z.string(),
  user_id: z.string(),
  channel: z.string(),
  created_at: z.string(),
  last_message_at: z.string().nullable(),
  last_message: z.object({ message_id: z.string(), role: z.string(), content: z.string(), created_at: z.string() }).nullable(),
  message_count: z.number(),
  unanswered_count: z.number(),
  bot_enabled: z.boolean().describe('False while a human has taken over this conversation (or the whole bot)'),
});

export const FeedbackInput = z.strictObject({
  api_key: ApiKeyParam,
  message_id: z.string().regex(/^msg_[0-9a-z]{26}$/, 'must be a message id (msg_…)'),
  rating: z.enum(['up', 'down']),
  comment: z.string().trim().min(1).max(2000).optional(),
});

export const Feedback = z.object({
  feedback_id: z.string(),
  message_id: z.string(),
  rating: z.enum(['up', 'down']),
  comment: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const MAX_IMPORT = 10_000;
export const ImportHistoryInput = z.strictObject({
  bot_id: z.string().regex(/^bot_[0-9a-z]{26}$/, 'must be a bot id (bot_…)'),
  user_id: UserId,
  channel: z.enum(CHANNELS).optional().describe('The conversation to import into; default api'),
  messages: z
    .array(
      z.strictObject({
        role: z.enum(['user', 'assistant', 'operator']),
        content: z.string().trim().min(1, 'must not be empty').max(4000),
        timestamp: Iso,
      }),
    )
    .min(1, 'must hold at least one message')
    .max(MAX_IMPORT, `at most ${MAX_IMPORT} messages per call`),
});
export type ImportHistoryInput = z.infer<typeof ImportHistoryInput>;

export const ImportHistoryResult = z.object({
  conversation_id: z.string(),
  user_id: z.string(),
  imported: z.number().describe('Messages added'),
  skipped: z.number().describe('Messages already there from an earlier import'),
});

const InferenceTurn = z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string().trim().min(1, 'must not be empty').max(4000) });
export const InferenceInput = z.strictObject({
  bot_id: z.string().regex(/^bot_[0-9a-z]{26}$/, 'must be a bot id (bot_…)').optional().describe('Start from this bot\'s configuration; the other fields override it'),
  prompt: z.string().max(32_000).optional().describe('System prompt (overrides the bot\'s)'),
  messages: z.array(InferenceTurn).min(1, 'must hold at least one message').max(200).describe('The conversation, oldest first, ending with the user message to answer'),
  values: ValuesInput.optional().describe('Sliders (override the bot\'s)'),
  model: Model.optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(4000).optional(),
  use_knowledge: z.boolean().optional().describe('Retrieve the bot\'s knowledge passages for the last message (default true; needs bot_id)'),
  debug: z.boolean().optional().describe('Return the assembled prompt'),
});
export type InferenceInput = z.infer<typeof InferenceInput>;

export const InferenceResult = z.object({
  reply: z.string(),
  source: z.enum(['model', 'retrained', 'builtin', 'safety', 'blocked_topic', 'moderation']),
  model: z.string().nullable(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }),
  sources: z.array(z.unknown()),
  prompt: z
    .object({
      messages: z.array(z.object({ role: z.string(), content: z.string() })),
      temperature: z.number(),
      max_tokens: z.number(),
    })
    .nullable()
    .describe('The assembled prompt, with `debug: true`'),
});

import { z } from 'zod';
import { PageQuery } from '../../core/http/schema.js';
import { UserId } from '../users/schemas.js';

const ApiKeyParam = z.string().max(200).optional().describe('A conversation key (or send it in the api-key header)');
const Creator = z.string().min(1).max(100).describe('The bot: its id or handle');

export const ConversationApiInput = z.strictObject({
  api_key: ApiKeyParam,
  creator: Creator,
  user_id: UserId.describe('Your id for the end user'),
  message: z.string().trim().min(1, 'must not be empty').max(4000),
  stream: z.boolean().optional().describe('Answer as Server-Sent Events: start, delta…, done'),
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
    source: z.enum(['model', 'retrained', 'builtin', 'safety']).nullable(),
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

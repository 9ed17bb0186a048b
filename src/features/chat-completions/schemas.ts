import { z } from 'zod';
import { UserId } from '../users/schemas.js';

/** The longest message the bot reads, as on conversation_api. */
export const MAX_MESSAGE_CHARS = 4000;

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

/** A string, or text parts (what OpenAI clients send for multi-part messages); images, audio and files are refused. */
const Content = z.union([z.string(), z.array(TextPart)], {
  error: (issue) => {
    const input = issue.input;
    if (!Array.isArray(input)) return 'must be a string or an array of {"type": "text", "text": "…"} parts';
    const at = input.findIndex((p) => !TextPart.safeParse(p).success);
    const type = (input[at] as { type?: unknown } | null)?.type;
    return typeof type === 'string' && type !== 'text'
      ? `part ${at} is ${type}: this bot reads text only ({"type": "text", "text": "…"} parts)`
      : `part ${at} must be {"type": "text", "text": "…"}`;
  },
});

// Only user messages are read (see chat-completion-service.ts); the others are accepted in any shape
// OpenAI allows, so a client can send the history it keeps, and ignored.
const UserMessage = z.object({ role: z.literal('user'), content: Content, name: z.string().optional() });
const OtherMessage = z.looseObject({ role: z.enum(['system', 'developer', 'assistant', 'tool', 'function']) });
export type ChatMessage = z.infer<typeof UserMessage> | z.infer<typeof OtherMessage>;

/** OpenAI parameters taken for compatibility and ignored: the bot's own settings (sliders, model) decide. */
const ignored = {
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  max_tokens: z.number().int().nullish(),
  max_completion_tokens: z.number().int().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  top_logprobs: z.number().int().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  reasoning_effort: z.string().nullish(),
  verbosity: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  tool_choice: z.enum(['none', 'auto']).nullish(),
};

export const ChatCompletionInput = z.strictObject({
  model: z.string().trim().min(1).max(100).describe('The bot: its id or handle'),
  messages: z
    .array(z.discriminatedUnion('role', [UserMessage, OtherMessage]))
    .min(1, 'must hold at least one message')
    .describe('Only the last user message is read: the server keeps the conversation (see the description)'),
  user: UserId.describe('Your id for the end user; the server keeps one conversation per bot and user, shared with conversation_api'),
  stream: z.boolean().nullish().describe('Answer as Server-Sent Events of chat.completion.chunk objects, then data: [DONE]'),
  stream_options: z.object({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() }).nullish(),
  n: z.literal(1, 'only n=1 is supported').nullish(),
  logprobs: z.literal(false, 'log probabilities are not available').nullish(),
  response_format: z.object({ type: z.literal('text', 'only text responses are supported') }).nullish(),
  modalities: z.array(z.literal('text', 'only text responses are supported')).nullish(),
  tools: z.array(z.unknown()).max(0, 'tools are not supported: the bot answers in text').nullish(),
  functions: z.array(z.unknown()).max(0, 'functions are not supported: the bot answers in text').nullish(),
  ...ignored,
});
export type ChatCompletionInput = z.infer<typeof ChatCompletionInput>;

const Usage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });
export type Usage = z.infer<typeof Usage>;

export const FinishReason = z.enum(['stop', 'content_filter']);
export type FinishReason = z.infer<typeof FinishReason>;

export const ChatCompletion = z
  .object({
    id: z.string().describe('chatcmpl- and the id of the stored reply (of the user\'s message while a human has taken over)'),
    object: z.literal('chat.completion'),
    created: z.number().describe('Unix seconds'),
    model: z.string().describe('The model parameter as given'),
    choices: z.array(
      z.object({
        index: z.number(),
        message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
        logprobs: z.null(),
        finish_reason: FinishReason,
      }),
    ),
    usage: Usage,
  })
  .meta({ id: 'ChatCompletion' });
export type ChatCompletion = z.infer<typeof ChatCompletion>;

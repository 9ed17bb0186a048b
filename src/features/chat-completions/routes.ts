import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import { DomainError } from '../../core/errors.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { STATUS_BY_TYPE } from '../../core/http/error-handler.js';
import { describe } from '../../core/http/schema.js';
import type { Turn, TurnChunk } from '../../engine/converse.js';
import { finishReason, replyUsage, startChatCompletion } from './chat-completion-service.js';
import { BODY_LIMITS } from '../../core/http/body-limits.js';
import * as S from './schemas.js';

const DESCRIPTION = `OpenAI-compatible: point any OpenAI client library at \`<server>/v1\` with a conversation key (or an admin key) as its API key, the bot's id or handle as \`model\`, and your id for the end user as \`user\` (required). The bot answers as on conversation_api, with its persona, knowledge, memory and safety rules, in the same conversation as conversation_api for the same \`user\`.

**The server keeps the conversation.** Only the last \`user\` message of \`messages\` is read and answered; earlier messages and \`system\`/\`developer\` messages are ignored, because a client (often a web page holding a publishable key) could otherwise rewrite what the bot said or replace the creator's persona and safety rules. The message must be the last of \`messages\` (only system messages may follow it). Content is a string or \`{"type": "text"}\` parts.

\`temperature\`, \`max_tokens\`, \`top_p\`, \`stop\`, \`seed\` and similar sampling parameters are accepted and ignored: the bot's own settings decide. \`n\` other than 1, \`tools\`, \`functions\`, \`logprobs\`, a non-text \`response_format\` and unknown parameters are a 400.

\`finish_reason\` is \`content_filter\` when the bot refused (hard content limits, moderation or a blocked topic), else \`stop\`. While a human has taken over the conversation the message is stored and the completion is empty (\`content: ""\`, \`finish_reason: "stop"\`); the operator's replies appear in get_conversation_external. \`usage\` holds the model's token counts for the reply, zero when no model answered.

With \`stream: true\`: \`chat.completion.chunk\` events (the first with the role, then the text as it is released, a sentence at a time), a last chunk with \`finish_reason\`, a usage chunk when \`stream_options.include_usage\` is set, then \`data: [DONE]\`. If the reply turns out to cross the hard limits after some of it was sent, the safe reply follows and \`finish_reason\` is \`content_filter\`. A stream's \`id\` is chatcmpl- and the user message's id (the reply has none until it is stored). An error before any text is an ordinary error response; after it, a \`data: {"error": {…}}\` event ends the stream.

Errors use this API's shape, which OpenAI clients read the same way (\`error.message\`). Once the message is stored, errors carry \`x-should-retry: false\`, so OpenAI clients do not send it again on their own.`;

const now = () => Math.floor(Date.now() / 1000);

/** The user's message is stored: a client's automatic retry would store it again, so clients are told not to. */
function noAutoRetry(reply: FastifyReply, err: unknown): never {
  reply.header('x-should-retry', 'false');
  throw err;
}

async function complete(ctx: ServiceContext, reply: FastifyReply, input: S.ChatCompletionInput, turn: Turn): Promise<S.ChatCompletion> {
  const done = await turn.done.catch((err: unknown) => noAutoRetry(reply, err));
  return {
    id: `chatcmpl-${done.message_id ?? done.user_message_id}`,
    object: 'chat.completion',
    created: now(),
    model: input.model,
    choices: [{ index: 0, message: { role: 'assistant', content: done.reply ?? '', refusal: null }, logprobs: null, finish_reason: finishReason(done) }],
    usage: await replyUsage(ctx, done),
  };
}

/**
 * OpenAI's streaming format. The first chunk of text is awaited before the 200 goes out, so a model
 * that fails at once (the common case: provider down) is an ordinary 502/504 the client can read.
 * The engine reads the model itself, so the reply is stored even if the client goes away.
 */
async function stream(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, input: S.ChatCompletionInput, turn: Turn): Promise<void> {
  const chunks = turn.chunks[Symbol.asyncIterator]();
  let next: IteratorResult<TurnChunk> = await chunks.next();
  if (next.done) await turn.done.catch((err: unknown) => noAutoRetry(reply, err));

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const write = (data: unknown) => {
    if (!raw.destroyed) raw.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const withUsage = input.stream_options?.include_usage === true;
  const base = { id: `chatcmpl-${turn.result.user_message_id}`, object: 'chat.completion.chunk', created: now(), model: input.model };
  const chunk = (delta: Record<string, string>, finish: S.FinishReason | null = null) =>
    write({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) });

  chunk({ role: 'assistant', content: '' });
  let sent = false;
  for (; !next.done; next = await chunks.next()) {
    // Text already shown cannot be taken back in this format: the safe reply follows it.
    const text = next.value.type === 'replace' && sent ? `\n\n${next.value.text}` : next.value.text;
    chunk({ content: text });
    sent = true;
  }
  try {
    const done = await turn.done;
    chunk({}, finishReason(done));
    if (withUsage) write({ ...base, choices: [], usage: await replyUsage(ctx, done) });
    if (!raw.destroyed) raw.write('data: [DONE]\n\n');
  } catch (err) {
    const e = err instanceof DomainError ? err : new DomainError('internal', 'internal_error', 'internal error');
    if (!(err instanceof DomainError)) request.log.error({ err }, 'stream failed');
    write({ error: { type: e.type, code: e.code, message: e.message, status: STATUS_BY_TYPE[e.type], request_id: String(request.id) } });
  }
  raw.end();
}

export function chatCompletionRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    // A conversation-key route: the key comes as `Authorization: Bearer` (what OpenAI clients send),
    // gets CORS, and is held to its bots and allowed origins like conversation_api.
    app.post('/v1/chat/completions', {
      config: { auth: 'conversation' },
      bodyLimit: BODY_LIMITS.large,
      schema: {
        ...describe({ tag: 'Conversations', auth: 'conversation', summary: 'OpenAI-compatible chat completion with a bot', ok: S.ChatCompletion, extraErrors: [502, 504], description: DESCRIPTION }),
        body: S.ChatCompletionInput,
      },
    }, async (req, reply) => {
      const ctx = ctxOf(req);
      const turn = await startChatCompletion({ ctx, input: req.body });
      if (req.body.stream) return stream(ctx, req, reply, req.body, turn);
      return complete(ctx, reply, req.body, turn);
    });
  };
}

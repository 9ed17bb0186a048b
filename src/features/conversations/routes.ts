import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import { DomainError } from '../../core/errors.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { STATUS_BY_TYPE } from '../../core/http/error-handler.js';
import { settleIdempotencyKey } from '../../core/http/idempotency.js';
import { describe, page } from '../../core/http/schema.js';
import { converse, type TurnResult } from '../../engine/converse.js';
import { resolveCreator } from '../bots/bot-access.js';
import { getConversationMessages } from './messages-service.js';
import { getConversationExternal } from './external-service.js';
import { submitFeedback } from './feedback-service.js';
import { addMessageToConversation, getConversations } from './inbox-service.js';
import { importConversationHistory } from './import-service.js';
import { conversationInference } from './inference-service.js';
import { BODY_LIMITS } from '../../core/http/body-limits.js';
import * as S from './schemas.js';

const tag = 'Conversations';

const view = (t: TurnResult) => ({
  conversation_id: t.conversation_id,
  user_message_id: t.user_message_id,
  message_id: t.message_id,
  reply: t.reply,
  opening_message: t.opening_message,
  takeover: t.takeover,
  source: t.source,
  sources: t.sources,
});

/**
 * Server-Sent Events: `start` (ids, opening message), `delta` per chunk of text, then `done` with the
 * stored turn, or `error`. A `replace` event means the reply crossed the hard limits after some of it
 * was shown: show its text instead. The turn is stored whether or not the client stays to the end.
 */
async function streamTurn(deps: AppDeps, ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, input: S.ConversationApiInput) {
  const turn = await startTurn(ctx, input);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown) => {
    if (!raw.destroyed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  send('start', { conversation_id: turn.result.conversation_id, user_message_id: turn.result.user_message_id, opening_message: turn.result.opening_message });
  for await (const chunk of turn.chunks) send(chunk.type, { text: chunk.text });
  try {
    const done = view(await turn.done);
    await settleIdempotencyKey(deps, request, 200, done);
    send('done', done);
  } catch (err) {
    const e = err instanceof DomainError ? err : new DomainError('internal', 'internal_error', 'internal error');
    if (!(err instanceof DomainError)) request.log.error({ err }, 'stream failed');
    await settleIdempotencyKey(deps, request, STATUS_BY_TYPE[e.type], { error: { type: e.type, code: e.code, message: e.message, request_id: String(request.id) } });
    send('error', { error: { type: e.type, code: e.code, message: e.message, status: STATUS_BY_TYPE[e.type], request_id: String(request.id) } });
  }
  raw.end();
}

async function startTurn(ctx: ServiceContext, input: S.ConversationApiInput) {
  const bot = await resolveCreator(ctx, input.creator);
  return converse(ctx, { bot, userId: input.user_id, channel: 'api', message: input.message, ageConfirmed: input.age_confirmed === true, stream: input.stream === true });
}

export function conversationRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/conversation_api', {
      config: { auth: 'conversation', idempotent: true },
      schema: {
        ...describe({
          tag,
          auth: 'conversation',
          summary: 'Send a message and get the bot\'s reply',
          ok: S.ConversationReply,
          extraErrors: [422, 502, 504],
          description:
            'With `stream: true` the answer is text/event-stream: `start`, `delta` events with text (a `replace` event replaces what was shown), then `done` with this object, or `error`. A retry with the same Idempotency-Key gets this object as JSON.',
        }),
        body: S.ConversationApiInput,
      },
    }, async (req, reply) => {
      const ctx = ctxOf(req);
      if (req.body.stream) return streamTurn(deps, ctx, req, reply, req.body);
      const turn = await startTurn(ctx, req.body);
      return view(await turn.done);
    });

    app.post('/conversation_inference', {
      config: { auth: 'admin' },
      bodyLimit: BODY_LIMITS.large,
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Try a configuration: the bot\'s reply to a conversation you give, nothing stored',
          ok: S.InferenceResult,
          extraErrors: [502, 504],
          description: 'Runs the engine as a real turn would (hard limits, blocked topics, moderation, curated answers, prompt assembly, model) with a bot\'s settings overridden by `prompt`, `values`, `model`, `temperature` and `max_tokens`, or with no bot at all. Nothing is stored and no curated-answer hit is counted. `debug: true` returns the assembled prompt.',
        }),
        body: S.InferenceInput,
      },
    }, (req) => conversationInference({ ctx: ctxOf(req), input: req.body }));

    app.post('/import_conversation_history', {
      config: { auth: 'admin' },
      bodyLimit: BODY_LIMITS.history,
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Import an end user\'s past messages (up to 10,000), in time order, skipping ones already imported',
          ok: S.ImportHistoryResult,
          description: 'All or nothing, in one transaction. Messages are placed by their timestamps among the conversation\'s messages; a message with the same role, time and text as one imported before is skipped, so an import can be retried or re-run with more messages. A long past is folded into the conversation\'s running summary in the background.',
        }),
        body: S.ImportHistoryInput,
      },
    }, (req) => importConversationHistory({ ctx: ctxOf(req), input: req.body }));

    app.post('/add_message_to_conversation', {
      config: { auth: 'admin', idempotent: true },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Add a message (e.g. an operator\'s reply) to a conversation\'s history', ok: S.AddedMessage, extraErrors: [422] }),
        body: S.AddMessageInput,
      },
    }, (req) => addMessageToConversation({ ctx: ctxOf(req), input: req.body }));

    app.post('/get_conversations', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Conversations with last message, counts and takeover state', ok: page(S.ConversationSummary) }),
        body: S.GetConversationsInput,
      },
    }, (req) => getConversations({ ctx: ctxOf(req), input: req.body }));

    app.post('/feedback_api', {
      config: { auth: 'conversation' },
      schema: {
        ...describe({ tag, auth: 'conversation', summary: 'Rate a bot reply (up or down, optional comment)', ok: S.Feedback, extraErrors: [422] }),
        body: S.FeedbackInput,
      },
    }, (req) => submitFeedback({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_conversation_messages', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'One conversation of any channel as the creator sees it: who wrote each message (user, bot, operator), its source, status and rating', ok: S.ConversationMessages }),
        querystring: S.ConversationMessagesQuery,
      },
    }, (req) => getConversationMessages({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_conversation_external', {
      config: { auth: 'conversation' },
      schema: {
        ...describe({ tag, auth: 'conversation', summary: 'One end user\'s conversation, as a fan-facing app shows it', ok: S.ExternalConversation }),
        querystring: S.ExternalConversationQuery,
      },
    }, (req) => getConversationExternal({ ctx: ctxOf(req), input: req.query }));
  };
}

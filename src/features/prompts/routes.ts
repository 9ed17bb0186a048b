import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page, PageQuery } from '../../core/http/schema.js';
import { BotId, BotIdQuery } from '../bots/schemas.js';
import { Creator } from '../conversations/schemas.js';
import { editPrompt, getPrompt, getPromptVersions, modifyPrompt, restorePromptVersion, retrievePrompt } from './prompts-service.js';
import { retrainResponse } from './retrain-service.js';
import { editOpeningMessage, editPolicy, editUi, editValues, getOpeningMessage, getPolicy, getUi, getValues, setCalendarLink, setTransferNumber } from './settings-service.js';
import * as S from './schemas.js';

const tag = 'Prompts';

/** Read by the chat widget too, so a conversation key (limited to its bots) may call it. */
const WidgetReadQuery = z
  .strictObject({
    bot_id: BotId.optional(),
    creator: Creator.optional().describe('Instead of bot_id: the bot\'s id or handle, as the widget\'s data-bot gives it'),
    api_key: z.string().max(200).optional().describe('A conversation key, for browsers that cannot set headers'),
  })
  .refine((q) => (q.bot_id === undefined) !== (q.creator === undefined), { message: 'give bot_id or creator (one of them)', path: ['bot_id'] });

export function promptRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_prompt', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'The bot\'s system prompt', ok: S.PromptResult }), querystring: BotIdQuery },
    }, (req) => getPrompt({ ctx: ctxOf(req), input: req.query }));

    app.get('/retrieve_prompt', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'The prompt of a bot named by id, handle or name', ok: S.PromptResult }), querystring: S.RetrievePromptQuery },
    }, (req) => retrievePrompt({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_opening_message', {
      config: { auth: 'conversation' },
      schema: { ...describe({ tag, auth: 'conversation', summary: 'The greeting sent when a conversation starts', ok: S.OpeningResult }), querystring: WidgetReadQuery },
    }, (req) => getOpeningMessage({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_ui', {
      config: { auth: 'conversation' },
      schema: { ...describe({ tag, auth: 'conversation', summary: 'Appearance of the web chat widget', ok: S.UiResult }), querystring: WidgetReadQuery },
    }, (req) => getUi({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_values', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Behaviour sliders, each 0-100', ok: S.ValuesResult }), querystring: BotIdQuery },
    }, (req) => getValues({ ctx: ctxOf(req), input: req.query }));

    app.post('/edit_prompt', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update the system prompt (keeps a version)', ok: S.PromptResult }), body: S.EditPromptInput },
    }, (req) => editPrompt({ ctx: ctxOf(req), input: req.body }));

    app.post('/modify_prompt', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update the prompt of a bot named by id, handle or name', ok: S.PromptResult }), body: S.ModifyPromptInput },
    }, (req) => modifyPrompt({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_prompt_versions', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Prompt version history, newest first', ok: page(S.PromptVersion) }),
        querystring: z.strictObject({ bot_id: BotId, ...PageQuery }),
      },
    }, (req) => getPromptVersions({ ctx: ctxOf(req), input: req.query }));

    app.post('/restore_prompt_version', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Make an earlier prompt version current (as a new version)', ok: S.PromptResult }), body: S.RestoreInput },
    }, (req) => restorePromptVersion({ ctx: ctxOf(req), input: req.body }));

    app.post('/edit_opening_message', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update the greeting', ok: S.OpeningResult }), body: S.EditOpeningInput },
    }, (req) => editOpeningMessage({ ctx: ctxOf(req), input: req.body }));

    app.post('/edit_ui', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update widget appearance (partial; colors hex, URLs https)', ok: S.UiResult }), body: S.EditUiInput },
    }, (req) => editUi({ ctx: ctxOf(req), input: req.body }));

    app.post('/edit_values', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update behaviour sliders (partial)', ok: S.ValuesResult }), body: S.EditValuesInput },
    }, (req) => editValues({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_policy', {
      config: { auth: 'conversation' },
      schema: { ...describe({ tag, auth: 'conversation', summary: 'Age gate, blocked topics and AI disclosure (the widget reads the age gate)', ok: S.PolicyResult }), querystring: WidgetReadQuery },
    }, (req) => getPolicy({ ctx: ctxOf(req), input: req.query }));

    app.post('/edit_policy', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update the age gate, blocked topics and AI disclosure (partial; null resets)', ok: S.PolicyResult }), body: S.EditPolicyInput },
    }, (req) => editPolicy({ ctx: ctxOf(req), input: req.body }));

    app.post('/set_calendar_link', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Set the booking link the bot offers', ok: S.CalendarResult }), body: S.CalendarInput },
    }, (req) => setCalendarLink({ ctx: ctxOf(req), input: req.body }));

    app.post('/set_transfer_number', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Set the number calls are transferred to', ok: S.TransferResult }), body: S.TransferInput },
    }, (req) => setTransferNumber({ ctx: ctxOf(req), input: req.body }));

    app.post('/retrain_response', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Store a curated answer for a question', ok: S.RetrainResult, extraErrors: [422] }), body: S.RetrainInput },
    }, (req) => retrainResponse({ ctx: ctxOf(req), input: req.body }));
  };
}

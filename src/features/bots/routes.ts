import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../core/context.js';
import { anonymousCtx, ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page, PageQuery } from '../../core/http/schema.js';
import { createBot, deleteBot, getBotIdsByName, getBot, getBotName, getBots, getBotsWithNames, listBotIds, setBotName, toggleBotResponse } from './bots-service.js';
import { createTrialBot } from './trial-bots-service.js';
import * as S from './schemas.js';

const tag = 'Bots';
const Paged = z.strictObject(PageQuery);

export function botRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_bots', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'All bots of the account, full objects', ok: page(S.Bot) }), querystring: Paged },
    }, (req) => getBots({ ctx: ctxOf(req), input: req.query }));

    app.get('/list_bots', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Bot ids', ok: page(z.string()) }), querystring: Paged },
    }, (req) => listBotIds({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_bots_with_names', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Bot ids with names', ok: page(z.object({ bot_id: z.string(), name: z.string() })) }), querystring: Paged },
    }, (req) => getBotsWithNames({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_bot_ids', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Ids of the bots with a name (names need not be unique)', ok: z.object({ name: z.string(), bot_ids: z.array(z.string()) }) }),
        querystring: z.strictObject({ name: S.BotName }),
      },
    }, (req) => getBotIdsByName({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_bot', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'One bot, the full object', ok: S.Bot }), querystring: S.BotIdQuery },
    }, (req) => getBot({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_bot_name', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'A bot\'s name', ok: z.object({ bot_id: z.string(), name: z.string() }) }), querystring: S.BotIdQuery },
    }, (req) => getBotName({ ctx: ctxOf(req), input: req.query }));

    app.post('/create_bot', {
      config: { auth: 'admin', idempotent: true },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Create a bot', ok: S.Bot, extraErrors: [422] }), body: S.CreateBotInput },
    }, (req) => createBot({ ctx: ctxOf(req), input: req.body }));

    app.post('/create_bot_before_login', {
      config: { auth: 'none' },
      schema: {
        ...describe({ tag, auth: 'none', summary: 'Create a bot to try before signing up', ok: S.TrialBotResult, description: 'Limited per IP. The bot expires after 24 h unless /create_account claims it with the claim token.' }),
        body: S.CreateBotInput,
      },
    }, (req) => createTrialBot({ ctx: anonymousCtx(deps, req), input: req.body }));

    app.post('/set_bot_name', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Rename a bot', ok: S.Bot }), body: S.SetBotNameInput },
    }, (req) => setBotName({ ctx: ctxOf(req), input: req.body }));

    app.post('/toggle_bot_response', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Switch the bot\'s replies off (human takeover) or on', ok: S.ToggleResult }),
        body: S.ToggleInput,
      },
    }, (req) => toggleBotResponse({ ctx: ctxOf(req), input: req.body }));

    app.post('/delete_bot', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Delete a bot; its data is erased by a background job', ok: z.object({ bot_id: z.string(), deleted: z.literal(true), deleted_at: z.string() }) }),
        body: z.strictObject({ bot_id: S.BotId }),
      },
    }, (req) => deleteBot({ ctx: ctxOf(req), input: req.body }));
  };
}

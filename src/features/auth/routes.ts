import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../core/context.js';
import { anonymousCtx, ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page, PageQuery } from '../../core/http/schema.js';
import { createAccount, login } from './accounts-service.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys-service.js';
import { BODY_LIMITS } from '../../core/http/body-limits.js';
import * as S from './schemas.js';

const tag = 'Auth';

export function authRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/create_account', {
      config: { auth: 'none' },
      bodyLimit: BODY_LIMITS.small,
      schema: { ...describe({ tag, auth: 'none', summary: 'Create an account and its first admin key', ok: S.CreateAccountResult }), body: S.CreateAccountInput },
    }, (req) => createAccount({ ctx: anonymousCtx(deps, req), input: req.body }));

    app.post('/login', {
      config: { auth: 'none' },
      bodyLimit: BODY_LIMITS.small,
      schema: { ...describe({ tag, auth: 'none', summary: 'Log in: a short-lived session token for the dashboard', ok: S.LoginResult, extraErrors: [401] }), body: S.LoginInput },
    }, (req) => login({ ctx: anonymousCtx(deps, req), input: req.body }));

    app.post('/create_api_key', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Create an API key (admin or conversation scope)', ok: S.CreateApiKeyResult }), body: S.CreateApiKeyInput },
    }, (req) => createApiKey({ ctx: ctxOf(req), input: req.body }));

    app.get('/list_api_keys', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'List API keys (never their secrets)', ok: page(S.ApiKey) }), querystring: z.strictObject(PageQuery) },
    }, (req) => listApiKeys({ ctx: ctxOf(req), input: req.query }));

    app.post('/revoke_api_key', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Revoke an API key or session at once', ok: S.RevokeApiKeyResult }), body: S.RevokeApiKeyInput },
    }, (req) => revokeApiKey({ ctx: ctxOf(req), input: req.body }));
  };
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { blockUser, createUser, deleteUser, getUser, getUsers, updateUser } from './users-service.js';
import * as S from './schemas.js';

const tag = 'Users';

export function userRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_users', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'A bot\'s end users, filtered by tag, opt-out, block or search', ok: page(S.User) }), querystring: S.GetUsersQuery },
    }, (req) => getUsers({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_user', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'One end user with channels and message counts', ok: S.UserDetail }), querystring: S.UserRef },
    }, (req) => getUser({ ctx: ctxOf(req), input: req.query }));

    app.post('/create_user', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Create an end user, or update the one with this user_id or phone', ok: S.User }), body: S.CreateUserInput },
    }, (req) => createUser({ ctx: ctxOf(req), input: req.body }));

    app.post('/update_user', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Update an end user (partial)', ok: S.User }), body: S.UpdateUserInput },
    }, (req) => updateUser({ ctx: ctxOf(req), input: req.body }));

    app.post('/block_user', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Block or unblock an end user on every channel', ok: S.User }), body: S.BlockUserInput },
    }, (req) => blockUser({ ctx: ctxOf(req), input: req.body }));

    app.post('/delete_user', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Erase an end user with their conversations and messages', ok: S.DeleteUserResult }),
        body: S.UserRef,
      },
    }, (req) => deleteUser({ ctx: ctxOf(req), input: req.body }));
  };
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { getSmsMessages, sendSmsFromApi, simulateInboundSms } from './sms-service.js';
import { smsWebhookRoutes } from './webhook-routes.js';
import * as S from './schemas.js';

const tag = 'Phone & SMS';

/** The SMS API (send_sms, get_sms_messages) and the providers' SMS callbacks. */
export function smsRoutes(deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/send_sms', {
      config: { auth: 'admin', idempotent: true },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Text an end user from the bot\'s number',
          ok: S.SentSms,
          extraErrors: [422],
          description:
            'Stored in the user\'s SMS conversation as an operator message and queued (`status: queued`); get_sms_messages shows its delivery. Refused with 422 when the user opted out (`user_opted_out`), is blocked (`user_blocked`), has no phone (`no_sms_route`), or the bot has no SMS number (`no_sms_number`). The recipient is checked again when the text goes out.',
        }),
        body: S.SendSmsInput,
      },
    }, (req) => sendSmsFromApi({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_sms_messages', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'A bot\'s SMS in and out, newest first, with delivery status, parts, provider ids and errors', ok: page(S.SmsMessage) }),
        querystring: S.GetSmsMessagesQuery,
      },
    }, (req) => getSmsMessages({ ctx: ctxOf(req), input: req.query }));

    app.post('/simulate_inbound_sms', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Text a sandbox number as an end user would: the bot answers through the sandbox provider', ok: S.SimulatedInbound }),
        body: S.SimulateInboundInput,
      },
    }, (req) => simulateInboundSms({ ctx: ctxOf(req), input: req.body }));

    await app.register(smsWebhookRoutes(deps));
  };
}

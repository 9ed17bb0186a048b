import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { getWebhookDeliveries, retryWebhookDelivery } from './deliveries-service.js';
import { addWebhook, deleteWebhook, getWebhooks } from './webhooks-service.js';
import * as S from './schemas.js';

const tag = 'Webhooks';

const SIGNING =
  'Each event is POSTed as JSON {id, type, created_at, data}, signed per the Standard Webhooks spec: headers webhook-id (the event id, the same on every attempt: deduplicate on it), ' +
  'webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with the secret). A 2xx answer is a success; anything else, a redirect (not followed), a timeout or a refused connection is retried ' +
  'with exponential backoff and jitter for at least 24 h. An endpoint whose deliveries all fail for WEBHOOK_DISABLE_AFTER_HOURS (72 h by default) is disabled and the account is notified. ' +
  'Order is not guaranteed. Private and loopback addresses are refused unless the server sets ALLOW_PRIVATE_URLS=true.';

export function webhookRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_webhooks', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'The account\'s webhook endpoints (never their secrets)', ok: page(S.Webhook) }), querystring: S.GetWebhooksQuery },
    }, (req) => getWebhooks({ ctx: ctxOf(req), input: req.query }));

    app.post('/add_webhook', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Add an endpoint for some or all events; returns its signing secret, shown once', ok: S.AddWebhookResult, extraErrors: [422], description: `${SIGNING} 422 too_many_webhooks: the account has ${S.MAX_WEBHOOKS} already.` }),
        body: S.AddWebhookInput,
      },
    }, (req) => addWebhook({ ctx: ctxOf(req), input: req.body }));

    app.post('/delete_webhook', {
      config: { auth: 'admin' },
      schema: { ...describe({ tag, auth: 'admin', summary: 'Delete an endpoint with its deliveries; nothing more is sent to it', ok: S.DeleteWebhookResult }), body: S.WebhookRef },
    }, (req) => deleteWebhook({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_webhook_deliveries', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'An endpoint\'s deliveries, newest first, with every attempt (status code, latency, response excerpt) and the next retry', ok: page(S.Delivery) }),
        querystring: S.GetDeliveriesQuery,
      },
    }, (req) => getWebhookDeliveries({ ctx: ctxOf(req), input: req.query }));

    app.post('/retry_webhook_delivery', {
      config: { auth: 'admin' },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Send a delivery again now, whatever its status',
          ok: S.Delivery,
          description: 'One more attempt, not a new retry schedule. It goes to a disabled endpoint too, and if it succeeds the endpoint is enabled again (the receiver is mended); events in between are not replayed. A delivery being sent at this moment is returned as it is.',
        }),
        body: S.DeliveryRef,
      },
    }, (req) => retryWebhookDelivery({ ctx: ctxOf(req), input: req.body }));
  };
}

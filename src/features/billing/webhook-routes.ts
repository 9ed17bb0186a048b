import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { acceptRawBodies, rawBody } from '../../core/http/raw-callbacks.js';
import { verifyStripeEvent } from '../../providers/payments/index.js';
import { applyPaymentEvent } from './payment-events.js';

/** Stripe events are a few KB; the largest (an invoice with many lines) stays well under this. */
const BODY_LIMIT = 512 * 1024;

/**
 * POST /webhooks/stripe: the Stripe-Signature is checked on the raw bytes before anything is read;
 * a bad or missing one (or no STRIPE_WEBHOOK_SECRET) is a 400 and nothing changes. The event is
 * applied once, in one transaction, whatever the number of deliveries.
 */
export function stripeWebhookRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    acceptRawBodies(app, BODY_LIMIT);
    app.post('/webhooks/stripe', { schema: { tags: ['Provider callbacks'], summary: 'Stripe events: checkout, subscriptions, invoices (Stripe-Signature)' } }, async (req, reply) => {
      const verified = verifyStripeEvent(rawBody(req), req.headers['stripe-signature'], deps.config.STRIPE_WEBHOOK_SECRET);
      if ('failure' in verified) {
        req.log.warn({ provider: 'stripe', reason: verified.failure }, 'provider callback refused');
        throw invalid('Stripe-Signature', 'The request signature is missing or invalid.', 'invalid_signature');
      }
      const outcome = await applyPaymentEvent(deps, verified.event);
      return reply.code(200).send({ received: true, duplicate: outcome === 'duplicate' });
    });
  };
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe } from '../../core/http/schema.js';
import { cancelSubscription, createBillingPortalSession, createCheckoutSession, getPlans, getSubscription, getUsage } from './billing-service.js';
import { planCatalog } from './plans.js';
import { stripeWebhookRoutes } from './webhook-routes.js';
import * as S from './schemas.js';

const tag = 'Payments';
const NOT_CONFIGURED = 'Without STRIPE_SECRET_KEY every account is on the unlimited self-hosted plan and this answers 422 `stripe_not_configured`.';

/** Plans and subscriptions (Stripe), get_usage, and Stripe's webhook. */
export function billingRoutes(deps: AppDeps) {
  // A bad PLANS_FILE stops the start here, naming the problem.
  planCatalog(deps.config);
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_plans', {
      config: { auth: 'admin' },
      schema: describe({ tag, auth: 'admin', summary: 'Plans with prices and limits (messages a month, bots, phone numbers, knowledge MB, call minutes)', ok: S.PlanList, description: 'Without STRIPE_SECRET_KEY the account is on the unlimited `self_hosted` plan and nothing is purchasable.' }),
    }, (req) => getPlans({ ctx: ctxOf(req) }));

    app.get('/get_subscription', {
      config: { auth: 'admin' },
      schema: describe({ tag, auth: 'admin', summary: 'The account\'s plan, subscription status, period end and cancel_at_period_end', ok: S.SubscriptionOut }),
    }, (req) => getSubscription({ ctx: ctxOf(req) }));

    app.post('/create_checkout_session', {
      config: { auth: 'admin', idempotent: true },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'A Stripe Checkout page that subscribes the account to a plan',
          ok: S.CheckoutOut,
          extraErrors: [422, 502, 504],
          description: `Send the customer to \`url\`; the subscription starts when Stripe reports the payment (webhook). 422 \`plan_not_purchasable\` for a plan without a Stripe price; 409 \`already_subscribed\` when the account has a live subscription (change it in the billing portal). ${NOT_CONFIGURED}`,
        }),
        body: S.CheckoutInput,
      },
    }, (req) => createCheckoutSession({ ctx: ctxOf(req), input: req.body }));

    app.post('/create_billing_portal_session', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'A Stripe billing portal page: payment method, invoices, plan changes', ok: S.PortalOut, extraErrors: [422, 502, 504], description: `422 \`no_billing_account\` before the account's first checkout. ${NOT_CONFIGURED}` }),
        body: S.PortalInput,
      },
    }, (req) => createBillingPortalSession({ ctx: ctxOf(req), input: req.body }));

    app.post('/cancel_subscription', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Cancels the subscription at the end of the period (default) or now', ok: S.SubscriptionOut, extraErrors: [422, 502, 504], description: `Cancelled now, the account is back on the free plan at once. 422 \`no_subscription\` without a live subscription. ${NOT_CONFIGURED}` }),
        body: S.CancelInput,
      },
    }, (req) => cancelSubscription({ ctx: ctxOf(req), input: req.body }));

    app.get('/get_usage', {
      config: { auth: 'admin' },
      schema: describe({ tag: 'Analytics', auth: 'admin', summary: 'The current period\'s usage against the plan\'s limits', ok: S.UsageOut, description: 'The period is the subscription\'s billing period, else the calendar month (UTC). Going past a limit is refused with 402 `plan_limit` naming it; the account is notified at 80 % and 100 %.' }),
    }, (req) => getUsage({ ctx: ctxOf(req) }));

    await app.register(stripeWebhookRoutes(deps));
  };
}

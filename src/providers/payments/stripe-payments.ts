import Stripe from 'stripe';
import type { Config } from '../../config.js';
import { ProviderApiError } from '../provider-api-error.js';
import type { PaymentsPort, SubscriptionState } from './port.js';
import { subscriptionState } from './stripe-events.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/** A Stripe call that takes longer is reported as provider_timeout rather than holding the request. */
const TIMEOUT_MS = 15_000;

/** STRIPE_API_BASE_URL (a sandbox, or a test's fake) as the SDK's host, port and protocol. */
function endpointOf(baseUrl: string | undefined) {
  if (!baseUrl) return {};
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'http:' ? ('http' as const) : ('https' as const);
  return { host: url.hostname, port: url.port || (protocol === 'http' ? '80' : '443'), protocol };
}

/** Keys in Stripe's messages ("Invalid API Key provided: sk_test_…") are masked: errors reach API answers and logs. */
const maskKeys = (text: string) => text.replace(/\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*]+/g, '$1_$2_…');

/**
 * Any failure of an SDK call as a ProviderApiError, built from chosen fields only (the SDK's errors
 * hold the request, and so the key).
 */
function stripeFailure(err: unknown): ProviderApiError {
  if (err instanceof ProviderApiError) return err;
  const e = err as { type?: unknown; message?: unknown; statusCode?: unknown; code?: unknown };
  if (e.type === 'StripeConnectionError') {
    const timeout = /timeout/i.test(String(e.message ?? ''));
    return new ProviderApiError('stripe', timeout ? `no answer within ${TIMEOUT_MS / 1000} s` : 'the Stripe API could not be reached', null, null, timeout);
  }
  if (err instanceof Stripe.errors.StripeError) {
    const code = typeof e.code === 'string' ? e.code : null;
    const status = typeof e.statusCode === 'number' ? e.statusCode : null;
    return new ProviderApiError('stripe', `${maskKeys(String(e.message ?? 'error')).slice(0, 300)}${code ? ` (${code})` : ''}`, code, status);
  }
  return new ProviderApiError('stripe', 'the Stripe API call failed', null, null);
}

async function callStripe<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw stripeFailure(err);
  }
}

export function stripePayments(config: Config & { STRIPE_SECRET_KEY: string }): PaymentsPort {
  const client = new Stripe(config.STRIPE_SECRET_KEY, { ...endpointOf(config.STRIPE_API_BASE_URL), maxNetworkRetries: 0, telemetry: false, timeout: TIMEOUT_MS });
  const state = (s: Stripe.Subscription): SubscriptionState => {
    const read = subscriptionState(s);
    if (!read) throw new ProviderApiError('stripe', 'the subscription Stripe returned could not be read', null, null);
    return read;
  };
  return instrumented('stripe', {
    provider: 'stripe',
    async createCustomer({ accountId, email, name }) {
      const customer = await callStripe(() =>
        client.customers.create({ ...(email ? { email } : {}), ...(name ? { name } : {}), metadata: { account_id: accountId } }, { idempotencyKey: `sinth-customer-${accountId}` }),
      );
      return customer.id;
    },
    async createCheckout(r) {
      const metadata = { account_id: r.accountId, plan_id: r.planId };
      const session = await callStripe(() =>
        client.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: r.customerId,
            client_reference_id: r.accountId,
            line_items: [{ price: r.priceId, quantity: 1 }],
            success_url: r.successUrl,
            cancel_url: r.cancelUrl,
            metadata,
            subscription_data: { metadata },
          },
          r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : undefined,
        ),
      );
      if (!session.url) throw new ProviderApiError('stripe', 'the Checkout session has no URL', null, null);
      return { sessionId: session.id, url: session.url };
    },
    async createPortal({ customerId, returnUrl }) {
      const session = await callStripe(() => client.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl }));
      return { url: session.url };
    },
    async retrieveSubscription(subscriptionId) {
      return state(await callStripe(() => client.subscriptions.retrieve(subscriptionId)));
    },
    async cancelSubscription(subscriptionId, atPeriodEnd) {
      const sub = await callStripe(() => (atPeriodEnd ? client.subscriptions.update(subscriptionId, { cancel_at_period_end: true }) : client.subscriptions.cancel(subscriptionId)));
      return state(sub);
    },
  });
}

import type { Config } from '../../config.js';
import type { PaymentsPort } from './port.js';
import { stripePayments } from './stripe-payments.js';

export type { CheckoutCompletedEvent, InvoiceEvent, PaymentEvent, PaymentsPort, SubscriptionChangedEvent, SubscriptionState } from './port.js';
export { verifyStripeEvent } from './stripe-events.js';

const ports = new WeakMap<Config, PaymentsPort>();

/** Stripe when STRIPE_SECRET_KEY is set (one client per configuration); null otherwise: a self-hosted server sells nothing. */
export function paymentsFor(config: Config): PaymentsPort | null {
  const key = config.STRIPE_SECRET_KEY;
  if (!key) return null;
  let port = ports.get(config);
  if (!port) ports.set(config, (port = stripePayments({ ...config, STRIPE_SECRET_KEY: key })));
  return port;
}

/**
 * Payments (Stripe): customers, Checkout and the billing portal, cancelling a subscription, and the
 * provider's signed events turned into our own words. Features never see a Stripe object.
 */

/** A subscription as the provider reports it. */
export interface SubscriptionState {
  subscriptionId: string;
  customerId: string;
  /** The provider's status: active, trialing, past_due, canceled, incomplete, incomplete_expired, unpaid, paused. */
  status: string;
  /** The price of its (first) item: which plan it is. */
  priceId: string | null;
  /** What we put in its metadata at checkout. */
  accountId: string | null;
  planId: string | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

interface EventBase {
  /** The provider's event id: what makes a redelivery recognisable. */
  id: string;
  /** The provider's event type, as recorded. */
  type: string;
  /** When the provider produced the event. */
  created: Date;
}

export type CheckoutCompletedEvent = EventBase & { kind: 'checkout_completed'; accountId: string | null; planId: string | null; customerId: string | null; subscriptionId: string | null; paid: boolean };
export type SubscriptionChangedEvent = EventBase & { kind: 'subscription_changed'; deleted: boolean; subscription: SubscriptionState };
export type InvoiceEvent = EventBase & {
  kind: 'invoice_paid' | 'invoice_failed';
  invoiceId: string;
  customerId: string | null;
  subscriptionId: string | null;
  amountDue: number;
  currency: string;
  attemptCount: number;
  nextAttemptAt: Date | null;
};
/** A type we do not act on, or a known type whose object could not be read (recorded, not applied). */
export type IgnoredEvent = EventBase & { kind: 'ignored'; unreadable: boolean };

export type PaymentEvent = CheckoutCompletedEvent | SubscriptionChangedEvent | InvoiceEvent | IgnoredEvent;

export interface CheckoutRequest {
  customerId: string;
  priceId: string;
  accountId: string;
  planId: string;
  successUrl: string;
  cancelUrl: string;
  /** Repeats of one request (our Idempotency-Key) get the same session from the provider. */
  idempotencyKey: string | null;
}

export interface PaymentsPort {
  readonly provider: 'stripe';
  /** Creates the account's customer; asking twice for one account gives the same customer (within the provider's idempotency window). */
  createCustomer(input: { accountId: string; email: string | null; name: string | null }): Promise<string>;
  createCheckout(input: CheckoutRequest): Promise<{ sessionId: string; url: string }>;
  createPortal(input: { customerId: string; returnUrl: string }): Promise<{ url: string }>;
  /** The subscription as the provider holds it now (events may arrive out of order; this does not). */
  retrieveSubscription(subscriptionId: string): Promise<SubscriptionState>;
  /** At period end: the subscription stays live until then; otherwise it ends now. */
  cancelSubscription(subscriptionId: string, atPeriodEnd: boolean): Promise<SubscriptionState>;
}

import Stripe from 'stripe';
import { z } from 'zod';
import type { PaymentEvent, SubscriptionState } from './port.js';

/**
 * Stripe's webhook events: the signature checked on the raw bytes (Stripe-Signature, v1 HMAC, 5
 * minutes' tolerance), then the few types billing acts on read into PaymentEvent. Every field is
 * read as untrusted text of a bounded shape; an object that does not fit is `ignored`, unreadable.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`));
/** Stripe sends an id, or the object itself when expanded. */
const ref = (prefix: string) => z.union([id(prefix), z.object({ id: id(prefix) }).transform((o) => o.id)]);
const metadata = z.record(z.string(), z.string()).nullish().transform((m) => m ?? {});
const accountRef = (v: string | null | undefined) => (v && /^acct_[0-9a-z]{26}$/.test(v) ? v : null);
const planRef = (v: string | null | undefined) => (v && /^[a-z][a-z0-9_]{0,39}$/.test(v) ? v : null);
const time = (s: number | null | undefined) => (typeof s === 'number' && s > 0 ? new Date(s * 1000) : null);

const SubscriptionObject = z.object({
  id: id('sub'),
  customer: ref('cus'),
  status: z.string().regex(/^[a-z_]{1,32}$/),
  cancel_at_period_end: z.boolean().nullish(),
  metadata,
  // Since API version 2025-03-31 the period is on the items; before, on the subscription.
  current_period_start: z.number().nullish(),
  current_period_end: z.number().nullish(),
  items: z
    .object({ data: z.array(z.object({ price: z.object({ id: z.string().max(255) }).nullish(), current_period_start: z.number().nullish(), current_period_end: z.number().nullish() })) })
    .nullish(),
});

const SessionObject = z.object({
  id: z.string().max(255),
  client_reference_id: z.string().max(200).nullish(),
  customer: ref('cus').nullish(),
  subscription: ref('sub').nullish(),
  payment_status: z.string().max(64).nullish(),
  metadata,
});

const InvoiceObject = z.object({
  id: z.string().max(255),
  customer: ref('cus').nullish(),
  subscription: ref('sub').nullish(),
  parent: z.object({ subscription_details: z.object({ subscription: ref('sub') }).nullish() }).nullish(),
  amount_due: z.number().int().nullish(),
  currency: z.string().max(8).nullish(),
  attempt_count: z.number().int().nullish(),
  next_payment_attempt: z.number().nullish(),
});

/** A Stripe subscription (from an event or an API answer) in our words; null when it does not read. */
export function subscriptionState(object: unknown): SubscriptionState | null {
  const parsed = SubscriptionObject.safeParse(object);
  if (!parsed.success) return null;
  const s = parsed.data;
  const item = s.items?.data[0];
  return {
    subscriptionId: s.id,
    customerId: s.customer,
    status: s.status,
    priceId: item?.price?.id ?? null,
    accountId: accountRef(s.metadata.account_id),
    planId: planRef(s.metadata.plan_id),
    currentPeriodStart: time(item?.current_period_start ?? s.current_period_start),
    currentPeriodEnd: time(item?.current_period_end ?? s.current_period_end),
    cancelAtPeriodEnd: s.cancel_at_period_end ?? false,
  };
}

function readEvent(event: { id: string; type: string; created: number; data: { object: unknown } }): PaymentEvent {
  const base = { id: event.id, type: event.type, created: time(event.created) ?? new Date() };
  const unreadable = { ...base, kind: 'ignored' as const, unreadable: true };
  const object = event.data.object;
  switch (event.type) {
    case 'checkout.session.completed': {
      const p = SessionObject.safeParse(object);
      if (!p.success) return unreadable;
      const s = p.data;
      return {
        ...base,
        kind: 'checkout_completed',
        accountId: accountRef(s.client_reference_id) ?? accountRef(s.metadata.account_id),
        planId: planRef(s.metadata.plan_id),
        customerId: s.customer ?? null,
        subscriptionId: s.subscription ?? null,
        paid: s.payment_status === 'paid' || s.payment_status === 'no_payment_required',
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = subscriptionState(object);
      if (!subscription) return unreadable;
      return { ...base, kind: 'subscription_changed', deleted: event.type === 'customer.subscription.deleted', subscription };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const p = InvoiceObject.safeParse(object);
      if (!p.success) return unreadable;
      const i = p.data;
      return {
        ...base,
        kind: event.type === 'invoice.paid' ? 'invoice_paid' : 'invoice_failed',
        invoiceId: i.id,
        customerId: i.customer ?? null,
        subscriptionId: i.parent?.subscription_details?.subscription ?? i.subscription ?? null,
        amountDue: i.amount_due ?? 0,
        currency: i.currency ?? 'usd',
        attemptCount: i.attempt_count ?? 0,
        nextAttemptAt: time(i.next_payment_attempt),
      };
    }
    default:
      return { ...base, kind: 'ignored', unreadable: false };
  }
}

const EventEnvelope = z.object({ id: id('evt'), type: z.string().regex(/^[a-z0-9_.]{1,100}$/), created: z.number(), data: z.object({ object: z.unknown() }) });

/**
 * Verifies a webhook's Stripe-Signature on the exact bytes received and reads the event. A missing
 * secret, a missing or wrong signature, a stale timestamp or a body that is not an event is a
 * `failure` saying which (for the log; the caller answers the same 400 to all).
 */
export function verifyStripeEvent(raw: Buffer, signature: string | string[] | undefined, secret: string | undefined): { event: PaymentEvent } | { failure: string } {
  if (!secret) return { failure: 'STRIPE_WEBHOOK_SECRET is not set' };
  if (typeof signature !== 'string' || !signature) return { failure: 'no Stripe-Signature header' };
  let verified: unknown;
  try {
    verified = Stripe.webhooks.constructEvent(raw, signature, secret);
  } catch (err) {
    return { failure: String((err as Error).message).split('\n')[0]!.slice(0, 200) };
  }
  const envelope = EventEnvelope.safeParse(verified);
  if (!envelope.success) return { failure: 'the signed body is not a Stripe event' };
  return { event: readEvent(envelope.data) };
}

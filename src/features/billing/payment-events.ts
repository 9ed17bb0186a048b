import type { Transaction } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { systemContext, type ServiceContext } from '../../core/context.js';
import { emitEvent } from '../../core/events.js';
import type { DB } from '../../db/schema.js';
import { paymentsFor, type CheckoutCompletedEvent, type InvoiceEvent, type PaymentEvent, type SubscriptionChangedEvent } from '../../providers/payments/index.js';
import { ProviderApiError } from '../../providers/provider-api-error.js';
import { isLive, planCatalog } from './plans.js';
import { lockSubscription, planOfSubscription, saveSubscription, type SubscriptionRow } from './subscription-store.js';

/**
 * Applies one verified Stripe event, exactly once: its id is recorded in the transaction that applies
 * it, so a redelivery (Stripe retries, and may send an event twice) finds it and changes nothing.
 * Events arrive in any order: one older than the state a row holds is recorded but not applied.
 * A subscription's events are not ordered even by their `created` second (checkout sends
 * customer.subscription.created, incomplete, and .updated, active, within one), so what is applied is
 * the subscription as Stripe holds it now, asked before the transaction (which never waits on the
 * network); when Stripe cannot be asked, the ProviderError answers 5xx and Stripe delivers again.
 */
export async function applyPaymentEvent(deps: AppDeps, event: PaymentEvent): Promise<'applied' | 'duplicate'> {
  let toApply = event;
  if (event.kind === 'subscription_changed') {
    const seen = await deps.db.selectFrom('stripe_events').select('id').where('id', '=', event.id).executeTakeFirst();
    if (seen) return 'duplicate';
    toApply = await withCurrentState(deps, event);
  }
  return deps.db.transaction().execute(async (trx) => {
    const fresh = await trx.insertInto('stripe_events').values({ id: event.id, type: event.type, account_id: null }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    if (!fresh) return 'duplicate';
    const accountId = await apply(deps, trx, toApply);
    if (accountId) await trx.updateTable('stripe_events').set({ account_id: accountId }).where('id', '=', event.id).execute();
    return 'applied';
  });
}

/** The event carrying the subscription's current state; one Stripe does not know (404) is recorded, not applied. */
async function withCurrentState(deps: AppDeps, e: SubscriptionChangedEvent): Promise<PaymentEvent> {
  const port = paymentsFor(deps.config);
  if (!port) return e; // no key to ask with: billing is off, the event's own state is all there is
  try {
    return { ...e, subscription: await port.retrieveSubscription(e.subscription.subscriptionId) };
  } catch (err) {
    if (!(err instanceof ProviderApiError) || err.httpStatus !== 404) throw err;
    deps.log.warn({ stripe_event: e.id, type: e.type }, 'stripe: subscription of the event unknown to Stripe; recorded, not applied');
    return { id: e.id, type: e.type, created: e.created, kind: 'ignored', unreadable: false };
  }
}

async function apply(deps: AppDeps, trx: Transaction<DB>, event: PaymentEvent): Promise<string | null> {
  if (event.kind === 'ignored') {
    if (event.unreadable) deps.log.warn({ stripe_event: event.id, type: event.type }, 'stripe: event object not readable; recorded, not applied');
    return null;
  }
  if (event.kind === 'checkout_completed') return checkoutCompleted(deps, trx, event);
  if (event.kind === 'subscription_changed') return subscriptionChanged(deps, trx, event);
  return invoiceSettled(deps, trx, event);
}

/** The account a Stripe customer or subscription belongs to. */
async function accountFor(trx: Transaction<DB>, by: { subscriptionId?: string | null; customerId?: string | null; accountId?: string | null }): Promise<string | null> {
  const q = trx.selectFrom('subscriptions').select('account_id');
  if (by.subscriptionId) {
    const row = await q.where('stripe_subscription_id', '=', by.subscriptionId).executeTakeFirst();
    if (row) return row.account_id;
  }
  if (by.customerId) {
    const row = await q.where('stripe_customer_id', '=', by.customerId).executeTakeFirst();
    if (row) return row.account_id;
  }
  if (by.accountId) {
    const account = await trx.selectFrom('accounts').select('id').where('id', '=', by.accountId).where('kind', '=', 'standard').executeTakeFirst();
    if (account) return account.id;
  }
  return null;
}

/** The row is an account's, for another customer than the event's: the event is not this account's to apply. */
const otherCustomer = (row: SubscriptionRow | undefined, customerId: string | null) => Boolean(row?.stripe_customer_id && customerId && row.stripe_customer_id !== customerId);
const stale = (row: SubscriptionRow | undefined, at: Date) => Boolean(row?.stripe_event_at && row.stripe_event_at > at);

async function lockedFor(deps: AppDeps, trx: Transaction<DB>, event: PaymentEvent, accountId: string | null) {
  if (!accountId) {
    deps.log.info({ stripe_event: event.id, type: event.type }, 'stripe: event for no account of this server; recorded');
    return null;
  }
  const ctx = systemContext(deps, accountId);
  return { ctx, row: await lockSubscription(trx, accountId) };
}

/**
 * Checkout finished: the customer and subscription are the account's that the customer belongs to,
 * or (a customer this server did not record) the account client_reference_id names.
 */
async function checkoutCompleted(deps: AppDeps, trx: Transaction<DB>, e: CheckoutCompletedEvent) {
  const found = await lockedFor(deps, trx, e, await accountFor(trx, { accountId: e.accountId, customerId: e.customerId }));
  if (!found) return null;
  const { ctx, row } = found;
  if (otherCustomer(row, e.customerId)) {
    deps.log.warn({ stripe_event: e.id, account_id: ctx.accountId }, 'stripe: checkout completed for a customer that is not this account\'s; not applied');
    return ctx.accountId;
  }
  // Only the first news of this subscription sets its plan and status: its own events say the rest.
  const linked = row?.stripe_subscription_id === e.subscriptionId;
  if (!e.subscriptionId || linked || (row && isLive(row.status) && row.stripe_subscription_id)) {
    if (!row?.stripe_customer_id && e.customerId) await saveSubscription(trx, ctx, row, { stripe_customer_id: e.customerId }, null);
    return ctx.accountId;
  }
  await saveSubscription(
    trx,
    ctx,
    row,
    { stripe_customer_id: row?.stripe_customer_id ?? e.customerId, stripe_subscription_id: e.subscriptionId, plan_id: e.planId && planCatalog(ctx.config).byId.has(e.planId) ? e.planId : (row?.plan_id ?? 'free'), status: e.paid ? 'active' : 'incomplete', cancel_at_period_end: false },
    e.created,
  );
  return ctx.accountId;
}

/** customer.subscription.created / updated / deleted: the subscription's whole state, as Stripe holds it now. */
async function subscriptionChanged(deps: AppDeps, trx: Transaction<DB>, e: SubscriptionChangedEvent) {
  const s = e.subscription;
  const found = await lockedFor(deps, trx, e, await accountFor(trx, { subscriptionId: s.subscriptionId, customerId: s.customerId, accountId: s.accountId }));
  if (!found) return null;
  const { ctx, row } = found;
  const mine = row?.stripe_subscription_id === s.subscriptionId;
  // An account has one subscription: another one's news does not replace a live one.
  if (!mine && row?.stripe_subscription_id && isLive(row.status)) {
    deps.log.warn({ stripe_event: e.id, account_id: ctx.accountId }, 'stripe: event for a second subscription of an account with a live one; not applied');
    return ctx.accountId;
  }
  // Stale whatever subscription the row holds: an older event must not replace a newer one's state.
  if (otherCustomer(row, s.customerId) || stale(row, e.created)) return ctx.accountId;
  const ended = e.deleted || s.status === 'canceled';
  await saveSubscription(
    trx,
    ctx,
    row,
    {
      stripe_customer_id: row?.stripe_customer_id ?? s.customerId,
      stripe_subscription_id: s.subscriptionId,
      plan_id: ended ? 'free' : planOfSubscription(ctx.config, s, row?.plan_id ?? null),
      status: ended ? 'canceled' : s.status,
      current_period_start: s.currentPeriodStart,
      current_period_end: s.currentPeriodEnd,
      cancel_at_period_end: ended ? false : s.cancelAtPeriodEnd,
    },
    e.created,
  );
  return ctx.accountId;
}

/** invoice.paid brings a past-due subscription back; invoice.payment_failed makes it past due and tells the account. */
async function invoiceSettled(deps: AppDeps, trx: Transaction<DB>, e: InvoiceEvent) {
  const found = await lockedFor(deps, trx, e, await accountFor(trx, { subscriptionId: e.subscriptionId, customerId: e.customerId }));
  if (!found) return null;
  const { ctx, row } = found;
  const current = row && (!e.subscriptionId || row.stripe_subscription_id === e.subscriptionId) && !stale(row, e.created);
  if (e.kind === 'invoice_failed') {
    await paymentFailed(trx, ctx, e, row?.plan_id ?? null);
    if (current && ['active', 'trialing'].includes(row.status)) await saveSubscription(trx, ctx, row, { status: 'past_due' }, e.created);
  } else if (current && ['past_due', 'unpaid', 'incomplete'].includes(row.status)) {
    await saveSubscription(trx, ctx, row, { status: 'active' }, e.created);
  }
  return ctx.accountId;
}

/** The internal event the notifications feature emails about (never a webhook). */
function paymentFailed(trx: Transaction<DB>, ctx: ServiceContext, e: InvoiceEvent, planId: string | null) {
  return emitEvent(trx, ctx, 'payment.failed', {
    invoice_id: e.invoiceId,
    plan_id: planId,
    amount_due: e.amountDue,
    currency: e.currency,
    attempt_count: e.attemptCount,
    next_payment_attempt: e.nextAttemptAt?.toISOString() ?? null,
  });
}

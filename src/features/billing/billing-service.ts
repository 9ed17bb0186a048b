import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { sha256Hex } from '../../core/crypto.js';
import { conflict, invalid, unprocessable } from '../../core/errors.js';
import { inTransaction } from '../../core/transaction.js';
import { paymentsFor, type PaymentsPort } from '../../providers/payments/index.js';
import { effectivePlan, isLive, LIMIT_NAMES, paymentsEnabled, planCatalog, SELF_HOSTED_PLAN, type Plan } from './plans.js';
import { readPlanState } from './plan-state.js';
import { reported } from './limits.js';
import type { CancelInput, CheckoutInput } from './schemas.js';
import { lockSubscription, saveSubscription, subscriptionView } from './subscription-store.js';

/**
 * Plans and the account's subscription: what is for sale, Checkout to buy, the billing portal to
 * change or pay, cancelling. Stripe calls happen before the transaction that records their result (a
 * transaction never waits on the network).
 */

function requirePayments(ctx: ServiceContext): PaymentsPort {
  const port = paymentsFor(ctx.config);
  if (!port) throw unprocessable('stripe_not_configured', 'Billing is not configured on this server (no STRIPE_SECRET_KEY): every account is on the unlimited self-hosted plan.');
  return port;
}

const subscriptionOf = (ctx: ServiceContext) => ctx.db.selectFrom('subscriptions').selectAll().where('account_id', '=', ctx.accountId).executeTakeFirst();

const planOut = (plan: Plan, purchasable: boolean, current: boolean) => ({ plan_id: plan.id, name: plan.name, price: plan.price, limits: plan.limits, purchasable, current });

export async function getPlans({ ctx }: { ctx: ServiceContext }) {
  const catalog = planCatalog(ctx.config);
  if (!paymentsEnabled(ctx.config)) {
    return { data: [planOut(SELF_HOSTED_PLAN, false, true), ...catalog.plans.map((p) => planOut(p, false, false))], next_cursor: null };
  }
  const current = effectivePlan(ctx.config, await subscriptionOf(ctx));
  return { data: catalog.plans.map((p) => planOut(p, p.stripe_price_id !== null, p.id === current.id)), next_cursor: null };
}

export async function getSubscription({ ctx }: { ctx: ServiceContext }) {
  return subscriptionView(ctx.config, paymentsEnabled(ctx.config) ? await subscriptionOf(ctx) : null);
}

/** The account's Stripe customer, created once (its id recorded before anything is bought with it). */
async function ensureCustomer(ctx: ServiceContext, port: PaymentsPort, existing: string | null | undefined): Promise<string> {
  if (existing) return existing;
  const account = await ctx.db.selectFrom('accounts').select(['email', 'name']).where('id', '=', ctx.accountId).executeTakeFirstOrThrow();
  const created = await port.createCustomer({ accountId: ctx.accountId, email: account.email, name: account.name });
  // Two checkouts at once: Stripe gives both the same customer (idempotency key per account); the first id recorded stays.
  const row = await ctx.db
    .insertInto('subscriptions')
    .values({ account_id: ctx.accountId, stripe_customer_id: created })
    .onConflict((oc) => oc.column('account_id').doUpdateSet((eb) => ({ stripe_customer_id: eb.fn.coalesce('subscriptions.stripe_customer_id', 'excluded.stripe_customer_id'), updated_at: new Date() })))
    .returning('stripe_customer_id')
    .executeTakeFirstOrThrow();
  return row.stripe_customer_id!;
}

export async function createCheckoutSession({ ctx, input }: { ctx: ServiceContext; input: CheckoutInput }) {
  const port = requirePayments(ctx);
  const plan = planCatalog(ctx.config).byId.get(input.plan_id);
  if (!plan) throw invalid('plan_id', `There is no plan "${input.plan_id}": get_plans lists them.`, 'unknown_plan');
  if (!plan.stripe_price_id) throw unprocessable('plan_not_purchasable', `The ${plan.name} plan cannot be bought: it has no Stripe price (stripe_price_id in PLANS_FILE).`, 'plan_id');
  const row = await subscriptionOf(ctx);
  if (row?.stripe_subscription_id && isLive(row.status)) {
    throw conflict('already_subscribed', `This account already has a subscription (${effectivePlan(ctx.config, row).name}): change or cancel it in the billing portal (create_billing_portal_session).`, 'plan_id');
  }
  const customerId = await ensureCustomer(ctx, port, row?.stripe_customer_id);
  // A retry of this request (same Idempotency-Key) gets the same session from Stripe too.
  const idempotencyKey = ctx.idempotency ? `sinth-checkout-${sha256Hex(`${ctx.idempotency.scope}\n${ctx.idempotency.key}`)}` : null;
  const session = await port.createCheckout({ customerId, priceId: plan.stripe_price_id, accountId: ctx.accountId, planId: plan.id, successUrl: input.success_url, cancelUrl: input.cancel_url, idempotencyKey });
  return inTransaction(ctx, async (trx) => {
    await writeAudit(trx, ctx, { action: 'billing.checkout_started', objectType: 'plan', objectId: plan.id, details: { session_id: session.sessionId } });
    return { url: session.url, session_id: session.sessionId };
  });
}

export async function createBillingPortalSession({ ctx, input }: { ctx: ServiceContext; input: { return_url: string } }) {
  const port = requirePayments(ctx);
  const row = await subscriptionOf(ctx);
  if (!row?.stripe_customer_id) throw unprocessable('no_billing_account', 'This account has no billing account at Stripe yet: buy a plan with create_checkout_session first.');
  return port.createPortal({ customerId: row.stripe_customer_id, returnUrl: input.return_url });
}

export async function cancelSubscription({ ctx, input }: { ctx: ServiceContext; input: CancelInput }) {
  const port = requirePayments(ctx);
  const row = await subscriptionOf(ctx);
  if (!row?.stripe_subscription_id || !isLive(row.status)) throw unprocessable('no_subscription', 'This account has no subscription to cancel.');
  const s = await port.cancelSubscription(row.stripe_subscription_id, input.at_period_end);
  return inTransaction(ctx, async (trx) => {
    const before = await lockSubscription(trx, ctx.accountId);
    // The subscription may have been replaced meanwhile (a webhook): record only the one cancelled.
    if (before?.stripe_subscription_id !== s.subscriptionId) return subscriptionView(ctx.config, before);
    const ended = s.status === 'canceled';
    const after = await saveSubscription(
      trx,
      ctx,
      before,
      { status: s.status, plan_id: ended ? 'free' : before.plan_id, cancel_at_period_end: ended ? false : s.cancelAtPeriodEnd, current_period_start: s.currentPeriodStart, current_period_end: s.currentPeriodEnd },
      null,
    );
    await writeAudit(trx, ctx, { action: 'subscription.cancel_requested', objectType: 'subscription', objectId: s.subscriptionId, details: { at_period_end: input.at_period_end } });
    return subscriptionView(ctx.config, after);
  });
}

/** get_usage: the current period's usage of each limit against the account's plan. */
export async function getUsage({ ctx }: { ctx: ServiceContext }) {
  const state = await readPlanState(ctx.db, ctx.accountId, LIMIT_NAMES);
  const plan = effectivePlan(ctx.config, state);
  const line = (name: (typeof LIMIT_NAMES)[number]) => {
    const used = reported(name, state.used[name]!);
    const limit = plan.limits[name];
    return { used, limit, percent: limit === null ? null : limit === 0 ? 100 : Math.round((used / limit) * 1000) / 10 };
  };
  return {
    plan_id: plan.id,
    period: { start: state.period_start.toISOString(), end: state.period_end.toISOString() },
    limits: Object.fromEntries(LIMIT_NAMES.map((n) => [n, line(n)])) as Record<(typeof LIMIT_NAMES)[number], ReturnType<typeof line>>,
  };
}

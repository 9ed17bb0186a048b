import type { Selectable, Transaction } from 'kysely';
import type { Config } from '../../config.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { emitEvent } from '../../core/events.js';
import type { DB } from '../../db/schema.js';
import type { SubscriptionsTable } from '../../db/tables/billing.js';
import type { SubscriptionState } from '../../providers/payments/index.js';
import { effectivePlan, paymentsEnabled, planCatalog } from './plans.js';

export type SubscriptionRow = Selectable<SubscriptionsTable>;
type Fields = Pick<SubscriptionRow, 'plan_id' | 'status' | 'current_period_end' | 'cancel_at_period_end'>;

/** get_subscription's answer (and subscription.updated's data). `status` is Stripe's, or 'none' without a subscription. */
export function subscriptionView(config: Config, row: Fields | null | undefined) {
  const plan = effectivePlan(config, row);
  const stripe = paymentsEnabled(config);
  return {
    plan_id: plan.id,
    plan_name: plan.name,
    status: !stripe ? 'active' : (row?.status ?? 'none'),
    current_period_end: stripe ? (row?.current_period_end?.toISOString() ?? null) : null,
    cancel_at_period_end: stripe ? (row?.cancel_at_period_end ?? false) : false,
    billing: stripe ? ('stripe' as const) : ('self_hosted' as const),
  };
}

/** The account's row, locked for the change about to be made. */
export function lockSubscription(trx: Transaction<DB>, accountId: string) {
  return trx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).forUpdate().executeTakeFirst();
}

/**
 * The plan a subscription is on: the plan selling its price, else the plan its metadata names (set
 * at checkout), else the plan the row had.
 */
export function planOfSubscription(config: Config, s: SubscriptionState, current: string | null): string {
  const catalog = planCatalog(config);
  return catalog.byPrice.get(s.priceId ?? '')?.id ?? (s.planId && catalog.byId.has(s.planId) ? s.planId : (current ?? 'free'));
}

/**
 * Writes a subscription's state onto the account's row (created if missing), dated `at` when Stripe
 * produced it in an event (an API answer leaves the date alone: our clock is not Stripe's, and the
 * event reporting the same change follows). When what the account sees changes, emits `subscription.updated` and audits it, in
 * the same transaction.
 */
export async function saveSubscription(
  trx: Transaction<DB>,
  ctx: ServiceContext,
  before: SubscriptionRow | undefined,
  patch: Partial<Omit<SubscriptionRow, 'account_id' | 'created_at' | 'updated_at'>>,
  at: Date | null,
): Promise<SubscriptionRow> {
  const values = { ...patch, ...(at ? { stripe_event_at: at } : {}), updated_at: new Date() };
  const row = before
    ? await trx.updateTable('subscriptions').set(values).where('account_id', '=', ctx.accountId).returningAll().executeTakeFirstOrThrow()
    : await trx.insertInto('subscriptions').values({ account_id: ctx.accountId, ...values }).returningAll().executeTakeFirstOrThrow();
  const was = JSON.stringify(subscriptionView(ctx.config, before));
  const now = subscriptionView(ctx.config, row);
  if (was !== JSON.stringify(now)) {
    await emitEvent(trx, ctx, 'subscription.updated', now);
    await writeAudit(trx, ctx, { action: 'subscription.updated', objectType: 'subscription', objectId: row.stripe_subscription_id ?? ctx.accountId, details: now });
  }
  return row;
}

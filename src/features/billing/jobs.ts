import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { planCatalog } from './plans.js';

const BILLING_PRUNE_JOB = 'billing.prune';

/**
 * Forgets Stripe event ids after 30 days (Stripe stops retrying an event after 3) and usage
 * notifications of periods long over.
 */
export async function pruneBilling(deps: AppDeps): Promise<void> {
  await deps.db.deleteFrom('stripe_events').where('received_at', '<', new Date(Date.now() - 30 * 86_400_000)).execute();
  await deps.db.deleteFrom('usage_alerts').where('period_start', '<', new Date(Date.now() - 400 * 86_400_000)).execute();
}

export function billingJobs(deps: AppDeps): JobDefinition[] {
  // Every role starts here (workers have no routes): a bad PLANS_FILE stops the start, naming the problem.
  planCatalog(deps.config);
  return [{ name: BILLING_PRUNE_JOB, cron: '23 4 * * *', handle: () => pruneBilling(deps) }];
}

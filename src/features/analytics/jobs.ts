import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { rollupClosedDays } from './rollups.js';

export const ANALYTICS_ROLLUP_JOB = 'analytics.rollup';

/** Rolls up closed days every ten minutes: a day is read from its rollup soon after it closes. */
export function analyticsJobs(deps: AppDeps): JobDefinition[] {
  return [{ name: ANALYTICS_ROLLUP_JOB, cron: '*/10 * * * *', handle: async () => void (await rollupClosedDays(deps.db)) }];
}

import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';

/** Placeholder: the billing jobs. */
export function billingJobs(_deps: AppDeps): JobDefinition[] {
  return [];
}

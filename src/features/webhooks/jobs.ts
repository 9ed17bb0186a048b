import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';

/** Placeholder: the webhooks jobs. */
export function webhookJobs(_deps: AppDeps): JobDefinition[] {
  return [];
}

import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';

/** Placeholder: the notifications jobs. */
export function notificationJobs(_deps: AppDeps): JobDefinition[] {
  return [];
}

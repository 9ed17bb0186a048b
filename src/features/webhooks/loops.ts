import type { AppDeps } from '../../core/context.js';
import type { Loop } from '../../jobs/loops.js';

/** Placeholder: the webhooks feature's delivery loop. */
export function webhookLoops(_deps: AppDeps): Loop[] {
  return [];
}

import type { AppDeps } from '../../core/context.js';
import type { Loop } from '../../jobs/loops.js';
import { DeliveryDispatcher } from './delivery-dispatcher.js';

/** The delivery loop: every worker process sends due deliveries (claims keep workers apart). */
export function webhookLoops(deps: AppDeps): Loop[] {
  const dispatcher = new DeliveryDispatcher(deps);
  return [{ name: 'webhooks.deliver', idleMs: 200, tick: () => dispatcher.tick() }];
}

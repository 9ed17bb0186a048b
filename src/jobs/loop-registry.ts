import type { AppDeps } from '../core/context.js';
import { outboxConsumers } from '../features/outbox/consumers.js';
import { outboxRelayLoop } from '../features/outbox/relay.js';
import { webhookLoops } from '../features/webhooks/loops.js';
import type { Loop } from './loops.js';

/** Every loop a worker process runs. */
export function allLoops(deps: AppDeps): Loop[] {
  return [outboxRelayLoop(deps.db, outboxConsumers(deps)), ...webhookLoops(deps)];
}

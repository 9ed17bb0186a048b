import type { AppDeps } from '../../core/context.js';
import type { OutboxConsumer } from '../outbox/relay.js';

/** Placeholder: the notifications feature turns events into emails here. */
export function notificationConsumers(_deps: AppDeps): OutboxConsumer[] {
  return [];
}

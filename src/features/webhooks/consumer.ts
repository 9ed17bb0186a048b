import type { AppDeps } from '../../core/context.js';
import type { OutboxConsumer } from '../outbox/relay.js';

/** Placeholder: the webhooks feature turns events into deliveries here. */
export function webhookConsumers(_deps: AppDeps): OutboxConsumer[] {
  return [];
}

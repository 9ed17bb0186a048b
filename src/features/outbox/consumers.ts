import type { AppDeps } from '../../core/context.js';
import { notificationConsumers } from '../notifications/consumer.js';
import { webhookConsumers } from '../webhooks/consumer.js';
import type { OutboxConsumer } from './relay.js';

/** Everything the outbox's events become: webhook deliveries and notification emails. */
export function outboxConsumers(deps: AppDeps): OutboxConsumer[] {
  return [...webhookConsumers(deps), ...notificationConsumers(deps)];
}

import { sql, type Transaction } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { WEBHOOK_EVENT_TYPES } from '../../core/events.js';
import type { DB } from '../../db/schema.js';
import type { OutboxConsumer, OutboxEvent } from '../outbox/relay.js';

const PUBLIC_TYPES = new Set<string>(WEBHOOK_EVENT_TYPES);

/**
 * Turns a batch of relayed events into deliveries, in the relay's transaction: one per (event,
 * enabled endpoint of the event's account subscribed to its type), in one INSERT … SELECT. Internal
 * event types (webhook.disabled, payment.failed, …) are never delivered.
 *
 * The delivery id is derived from the event and the endpoint: the event id's time part (so ids sort
 * by when the event happened) and 64 bits of md5(event, endpoint) as hex, which the id alphabet
 * contains. The same pair always gets the same id, so nothing can become two deliveries.
 */
export async function createDeliveries(trx: Transaction<DB>, events: Array<Pick<OutboxEvent, 'id' | 'type'>>): Promise<void> {
  const eventIds = events.filter((e) => PUBLIC_TYPES.has(e.type)).map((e) => e.id);
  if (!eventIds.length) return;
  await sql`
    insert into webhook_deliveries (id, account_id, webhook_id, event_id, event_type, next_attempt_at)
    select 'dlv_' || substr(e.id, 5, 10) || substr(md5(e.id || ':' || w.id), 1, 16), e.account_id, w.id, e.id, e.type, now()
    from outbox_events e
    join webhooks w on w.account_id = e.account_id and w.enabled and (e.type = any(w.events) or '*' = any(w.events))
    where e.id = any(${eventIds}::text[])
    on conflict (id) do nothing
  `.execute(trx);
}

export function webhookConsumers(_deps: AppDeps): OutboxConsumer[] {
  return [{ name: 'webhooks', consume: createDeliveries }];
}

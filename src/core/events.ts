import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import type { ServiceContext } from './context.js';
import { newId } from './ids.js';

/** Event types of API.md's Webhooks section. */
export type EventType =
  | 'message.received'
  | 'message.sent'
  | 'message.delivered'
  | 'message.failed'
  | 'conversation.created'
  | 'conversation.takeover'
  | 'user.created'
  | 'user.age_verified'
  | 'user.opted_out'
  | 'user.opted_in'
  | 'call.started'
  | 'call.ended'
  | 'call.transferred'
  | 'source.ready'
  | 'source.failed'
  | 'campaign.finished'
  | 'feedback.created'
  | 'subscription.updated'
  // Internal: what the account is told by email (notifications), never sent to webhooks.
  | 'webhook.disabled'
  | 'payment.failed'
  | 'usage.threshold';

export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-event-types.js';

/**
 * Records a domain event in the outbox, inside the transaction that makes the change it reports.
 * Events about an end user put `bot_id` and `user_id` in `data` (delete_user erases undelivered ones
 * by those keys), and carry ids rather than personal data.
 */
export async function emitEvent(trx: Transaction<DB>, ctx: ServiceContext, type: EventType, data: Record<string, unknown>): Promise<string> {
  const row = eventRow(ctx, type, data);
  await trx.insertInto('outbox_events').values(row).execute();
  return row.id;
}

/** The outbox row of an event, for statements that write it together with the change (see engine/reply-store.ts). */
export function eventRow(ctx: Pick<ServiceContext, 'accountId'>, type: EventType, data: Record<string, unknown>) {
  const id = newId('evt');
  return { id, account_id: ctx.accountId, type, payload: JSON.stringify({ id, type, created_at: new Date().toISOString(), data }) };
}

import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import type { Loop } from '../../jobs/loops.js';

/** An event as the outbox holds it (core/events.ts writes them with the change they report). */
export interface OutboxEvent {
  id: string;
  account_id: string;
  type: string;
  /** `{id, type, created_at, data}`: what a webhook receives. */
  payload: Record<string, unknown>;
  created_at: Date;
}

/**
 * What turns events into durable work of its own (webhook deliveries, notification emails), inside
 * the relay's transaction: the work exists exactly when the events are marked relayed, so an event
 * is never lost between the outbox and its consumers, nor handed over twice.
 */
export interface OutboxConsumer {
  name: string;
  consume(trx: Transaction<DB>, events: OutboxEvent[]): Promise<void>;
}

const BATCH = 500;

/**
 * One batch of the outbox, oldest first, claimed with `skip locked` (workers relay side by side),
 * handed to every consumer and marked relayed, in one transaction. Returns how many were relayed.
 */
export async function relayOutbox(db: Database, consumers: OutboxConsumer[], batch = BATCH): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const events = (await trx
      .selectFrom('outbox_events')
      .select(['id', 'account_id', 'type', 'payload', 'created_at'])
      .where('dispatched_at', 'is', null)
      .orderBy('id')
      .limit(batch)
      .forUpdate()
      .skipLocked()
      .execute()) as OutboxEvent[];
    if (!events.length) return 0;
    for (const consumer of consumers) await consumer.consume(trx, events);
    await trx.updateTable('outbox_events').set({ dispatched_at: new Date() }).where('id', 'in', events.map((e) => e.id)).execute();
    return events.length;
  });
}

/** The relay as a worker loop: a full batch means more may be waiting, so it goes straight on. */
export function outboxRelayLoop(db: Database, consumers: OutboxConsumer[]): Loop {
  return { name: 'outbox.relay', idleMs: 200, tick: async () => (await relayOutbox(db, consumers)) === BATCH };
}

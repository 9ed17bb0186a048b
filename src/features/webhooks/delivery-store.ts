import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** A delivery a worker has leased and is about to send. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  account_id: string;
  url: string;
  secret_enc: string;
  /** Attempts before this one. */
  attempts: number;
  created_at: Date;
  /** The endpoint's deliveries have been failing (see the per-endpoint cap in delivery-dispatcher.ts). */
  failing: boolean;
  payload: { id: string; type: string; created_at: string; data: unknown };
  /** The lease's end, as stored: recording the outcome checks the lease is still this worker's. */
  lease: Date;
}

/**
 * Leases up to `limit` due deliveries in one statement: `for update skip locked` keeps workers
 * claiming side by side from taking the same rows, and the lease (`locked_until`) keeps them from
 * taking a row another worker is still sending. A worker that dies leaves its rows due again when
 * their lease ends: a delivery is sent at least once, perhaps twice, never lost.
 * `skipWebhooks`: endpoints this worker already has enough deliveries in flight for.
 */
/** No worker holds the delivery: never leased, or its lease ran out. */
export const leaseIsFree = sql<boolean>`(locked_until is null or locked_until <= now())`;

export async function claimDeliveries(db: Database, limit: number, leaseMs: number, skipWebhooks: string[]): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    update webhook_deliveries d
    set locked_until = date_trunc('milliseconds', now()) + make_interval(secs => ${leaseMs / 1000})
    from (
      select id from webhook_deliveries
      where status in ('pending', 'failed') and next_attempt_at <= now()
        and ${leaseIsFree}
        and webhook_id <> all(${skipWebhooks}::text[])
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    ) due, webhooks w, outbox_events e
    where d.id = due.id and w.id = d.webhook_id and e.id = d.event_id
    returning d.id, d.webhook_id, d.event_id, d.account_id, w.url, w.secret_enc, d.attempts, d.created_at,
      w.failing_since is not null as failing, e.payload, d.locked_until as lease
  `.execute(db);
  return rows;
}

/** Gives leased deliveries back unsent: they are due again at once, for any worker. */
export async function releaseDeliveries(db: Database, deliveries: Array<Pick<ClaimedDelivery, 'id' | 'lease'>>): Promise<void> {
  await sql`
    update webhook_deliveries d set locked_until = null
    from unnest(${deliveries.map((d) => d.id)}::text[], ${deliveries.map((d) => d.lease.toISOString())}::timestamptz[]) as v (id, lease)
    where d.id = v.id and d.locked_until = v.lease
  `.execute(db);
}

import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { idsAt } from '../../core/ids.js';
import type { Database } from '../../db/database.js';
import type { JobDefinition } from '../../jobs/queue.js';

/** How long finished deliveries (with their attempts) and relayed outbox events are kept. */
export const RETENTION_DAYS = 30;
/** Takeover events are analytics' record of takeovers (get_analytics reads up to 400 days back). */
const TAKEOVER_RETENTION_DAYS = 400;
const CHUNK = 5_000;

/**
 * Drops what is older than the retention: succeeded and dead deliveries with their attempts, then
 * relayed outbox events that no delivery still waits on (their remaining deliveries go with them).
 * In chunks, so no statement holds locks on a large part of either table for long.
 */
export async function pruneWebhookHistory(db: Database, now = Date.now()): Promise<{ deliveries: number; events: number }> {
  const cutoff = new Date(now - RETENTION_DAYS * 86_400_000);
  // Event ids begin with their creation time (core/ids.ts): every id below this prefix is older than
  // the cutoff, and the primary key finds them without reading the rest of the outbox.
  const idBefore = (days: number) => idsAt('evt', [now - days * 86_400_000])[0]!.slice(0, 'evt_'.length + 10);
  const eventsBefore = idBefore(RETENTION_DAYS);
  const takeoversBefore = idBefore(TAKEOVER_RETENTION_DAYS);
  const counts = { deliveries: 0, events: 0 };
  for (;;) {
    const r = await sql`
      delete from webhook_deliveries where id in (
        select id from webhook_deliveries where status in ('succeeded', 'dead') and finished_at < ${cutoff} limit ${CHUNK})
    `.execute(db);
    counts.deliveries += Number(r.numAffectedRows ?? 0);
    if (Number(r.numAffectedRows ?? 0) < CHUNK) break;
  }
  for (;;) {
    const r = await sql`
      delete from outbox_events where id in (
        select e.id from outbox_events e
        where e.id < ${eventsBefore} and e.dispatched_at is not null
          and (e.type <> 'conversation.takeover' or e.id < ${takeoversBefore})
          and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status in ('pending', 'failed'))
        limit ${CHUNK})
    `.execute(db);
    counts.events += Number(r.numAffectedRows ?? 0);
    if (Number(r.numAffectedRows ?? 0) < CHUNK) break;
  }
  return counts;
}

export function webhookJobs(deps: AppDeps): JobDefinition[] {
  return [{ name: 'webhooks.prune', cron: '41 3 * * *', handle: async () => void (await pruneWebhookHistory(deps.db)) }];
}

import { sql, type Transaction } from 'kysely';
import type { JobQueue } from '../../jobs/queue.js';
import type { DB } from '../../db/schema.js';
import { newId } from '../../core/ids.js';
import type { NotificationDraft } from './drafts.js';

export const NOTIFICATIONS_SEND_JOB = 'notifications.send';

/**
 * Folds drafts into the accounts' notifications in ONE statement. A row not sent yet (`pending`)
 * absorbs the newcomers (its count grows, nothing else changes): its email, not written yet, reports
 * them. Any other row starts again as a new email with only the newcomers: an email on its way out
 * (`sending`) was written with the count it had. While the old row's window is still open, the new
 * email waits for it to close, so a burst is still one email per window. The unique (account, key)
 * index makes this atomic across relay workers.
 */
export async function storeDrafts(trx: Transaction<DB>, jobs: JobQueue, drafts: NotificationDraft[]): Promise<void> {
  if (!drafts.length) return;
  const open = sql`notifications.status = 'pending'`;
  const windowEnd = sql`notifications.window_started_at + make_interval(mins => notifications.window_minutes)`;
  const keep = (column: string) => sql.raw(`notifications.${column}`);
  const pick = <T>(column: string) => sql<T>`case when ${open} then ${keep(column)} else ${sql.raw(`excluded.${column}`)} end`;
  const rows = await trx
    .insertInto('notifications')
    .values(
      drafts.map((d) => ({
        id: newId('ntf'),
        account_id: d.accountId,
        kind: d.kind,
        dedupe_key: d.dedupeKey,
        data: JSON.stringify(d.data),
        count: d.count,
        next_attempt_at: d.sendAt,
        window_started_at: d.windowStartedAt,
        window_minutes: d.windowMinutes,
        updated_at: new Date(),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['account_id', 'dedupe_key']).doUpdateSet({
        count: sql`case when ${open} then notifications.count + excluded.count else excluded.count end`,
        data: pick<string>('data'),
        status: sql`case when ${open} then notifications.status else 'pending' end`,
        attempts: sql`case when ${open} then notifications.attempts else 0 end`,
        next_attempt_at: sql<Date>`case when ${open} then notifications.next_attempt_at else greatest(excluded.next_attempt_at, ${windowEnd}) end`,
        window_started_at: pick<Date>('window_started_at'),
        window_minutes: pick<number>('window_minutes'),
        last_error: sql`case when ${open} then notifications.last_error else null end`,
        sent_at: sql`case when ${open} then notifications.sent_at else null end`,
        updated_at: sql`now()`,
      }),
    )
    .returning(['status', 'next_attempt_at'])
    .execute();
  await queueSends(trx, jobs, rows.filter((r) => r.status === 'pending').map((r) => r.next_attempt_at));
}

/**
 * A send job for what is due now, and one for the earliest deferred email, in the same transaction:
 * they exist exactly when the rows do. (The sweep every minute sends anything else that comes due.)
 */
export async function queueSends(trx: Transaction<DB> | null, jobs: JobQueue, due: Date[]): Promise<void> {
  if (!due.length) return;
  const now = Date.now();
  const opts = trx ? { trx } : {};
  if (due.some((at) => at.getTime() <= now)) await jobs.send(NOTIFICATIONS_SEND_JOB, {}, opts);
  const later = due.filter((at) => at.getTime() > now).map((at) => at.getTime());
  if (later.length) await jobs.send(NOTIFICATIONS_SEND_JOB, {}, { ...opts, startAfterSeconds: Math.ceil((Math.min(...later) - now) / 1000) });
}

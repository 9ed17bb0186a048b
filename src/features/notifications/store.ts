import { sql, type Transaction } from 'kysely';
import type { JobQueue } from '../../jobs/queue.js';
import type { DB } from '../../db/schema.js';
import { newId } from '../../core/ids.js';
import type { NotificationDraft } from './drafts.js';

export const NOTIFICATIONS_SEND_JOB = 'notifications.send';

/**
 * Folds drafts into the accounts' notifications in ONE statement. A row whose window is still open
 * (or that is not sent yet) absorbs the newcomers (its count grows, nothing else changes); a row whose
 * window has closed is opened again for a new email. The unique (account, key) index makes this atomic
 * across relay workers: a burst is one email, never two.
 */
export async function storeDrafts(trx: Transaction<DB>, jobs: JobQueue, drafts: NotificationDraft[]): Promise<void> {
  if (!drafts.length) return;
  const open = sql`(notifications.status in ('pending', 'sending') or notifications.window_started_at > excluded.window_started_at - make_interval(mins => notifications.window_minutes))`;
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
        next_attempt_at: pick<Date>('next_attempt_at'),
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

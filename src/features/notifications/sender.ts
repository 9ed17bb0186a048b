import { sql, type Selectable } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import type { NotificationsTable } from '../../db/tables/notifications.js';
import { emailFor } from '../../providers/email/index.js';
import { EmailError } from '../../providers/email/email-error.js';
import { renderNotification } from './render.js';
import { settingsOf } from './settings.js';

type NotificationRow = Selectable<NotificationsTable>;

const BATCH = 20;
/** Batches one run sends before it lets the queue schedule other work; the sweep picks up the rest. */
const MAX_BATCHES = 10;
/** Attempts before an email that keeps failing on the transport is given up. */
export const MAX_ATTEMPTS = 4;
/** Minutes to wait after the 1st, 2nd and 3rd failed attempt. */
const RETRY_MINUTES = [1, 5, 15];
/** A claimed email not settled by then was interrupted mid-send (the process died): it is not sent again. */
const CLAIM_MINUTES = 15;

/**
 * Claims due notifications before sending them (status `sending`): a notification is handed to the
 * SMTP server at most once, whatever runs at the same time or crashes.
 */
async function claim(db: Database): Promise<NotificationRow[]> {
  const { rows } = await sql<NotificationRow>`
    update notifications set status = 'sending', attempts = attempts + 1, next_attempt_at = now() + make_interval(mins => ${CLAIM_MINUTES}), updated_at = now()
    where id in (
      select id from notifications where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at limit ${BATCH} for update skip locked
    )
    returning *`.execute(db);
  return rows;
}

async function settle(db: Database, id: string, set: { status: 'sent' | 'pending' | 'failed' | 'skipped'; last_error?: string | null; next_attempt_at?: Date; sent_at?: Date }) {
  await db.updateTable('notifications').set({ ...set, updated_at: new Date() }).where('id', '=', id).where('status', '=', 'sending').execute();
}

async function botNamesOf(db: Database, rows: NotificationRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.data.bot_id).filter((v): v is string => typeof v === 'string'))];
  if (!ids.length) return new Map();
  const bots = await db.selectFrom('bots').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(bots.map((b) => [b.id, b.name]));
}

/** Claimed but not tried (the server is unreachable): back to the queue as they were, for the sweep. */
async function release(db: Database, rows: NotificationRow[], reason: string) {
  if (!rows.length) return;
  await db
    .updateTable('notifications')
    .set((eb) => ({ status: 'pending', attempts: eb('attempts', '-', 1), last_error: reason, next_attempt_at: new Date(Date.now() + RETRY_MINUTES[0]! * 60_000), updated_at: new Date() }))
    .where('id', 'in', rows.map((r) => r.id))
    .where('status', '=', 'sending')
    .execute();
}

/**
 * Sends what is due, a batch at a time, until nothing is (or MAX_BATCHES). A temporary failure is
 * retried later (RETRY_MINUTES), a permanent refusal is not; when no server answers, the rest waits
 * rather than each email waiting out its own timeout. Returns how many went out.
 */
export async function sendDueNotifications(deps: AppDeps): Promise<number> {
  const email = emailFor(deps);
  let sent = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await claim(deps.db);
    if (!rows.length) break;
    const [settings, botNames] = await Promise.all([settingsOf(deps.db, [...new Set(rows.map((r) => r.account_id))]), botNamesOf(deps.db, rows)]);
    for (const [i, row] of rows.entries()) {
      // The addresses of now: an address removed since the event no longer gets it.
      const to = settings.get(row.account_id)?.emails ?? [];
      if (!to.length) {
        await settle(deps.db, row.id, { status: 'skipped', last_error: 'no email address in the notification settings' });
        continue;
      }
      const content = renderNotification({ kind: row.kind, data: row.data, count: row.count, windowStartedAt: row.window_started_at, botNames });
      try {
        await email.send({ to, ...content });
        await settle(deps.db, row.id, { status: 'sent', sent_at: new Date(), last_error: null });
        sent++;
      } catch (err) {
        const failure = err instanceof EmailError ? err : null;
        if (!failure) deps.log.error({ err, notification_id: row.id }, 'notification email failed');
        const reason = failure?.message ?? 'internal error';
        const retry = !failure?.permanent && row.attempts < MAX_ATTEMPTS;
        deps.log.warn({ notification_id: row.id, kind: row.kind, attempt: row.attempts, retry, reason }, 'notification email not sent');
        await settle(deps.db, row.id, retry
          ? { status: 'pending', last_error: reason, next_attempt_at: new Date(Date.now() + RETRY_MINUTES[Math.min(row.attempts, RETRY_MINUTES.length) - 1]! * 60_000) }
          : { status: 'failed', last_error: reason });
        if (failure?.unreachable) {
          await release(deps.db, rows.slice(i + 1), reason);
          return sent;
        }
      }
    }
  }
  return sent;
}

/** Emails claimed by a process that died before settling them: given up, never sent twice. */
export async function giveUpInterrupted(db: Database): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'failed', last_error: 'interrupted while sending; not sent again', updated_at: new Date() })
    .where('status', '=', 'sending')
    .where('next_attempt_at', '<', new Date())
    .execute();
}

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
const MAX_ATTEMPTS = 4;
/** Minutes to wait after the 1st, 2nd and 3rd failed attempt. */
const RETRY_MINUTES = [1, 5, 15];
/**
 * An unreachable server is an outage, not a verdict on the email: it costs no attempt, and the email
 * waits for the server this long from its first event (then it is given up, like a webhook).
 */
const UNREACHABLE_GIVE_UP_HOURS = 24;
const UNREACHABLE_RETRY_MINUTES = 1;
/** How long a batch stays claimed (still `pending`): a sender that died frees it when this runs out. */
const CLAIM_MINUTES = 15;
/** How long one email may be `sending`: far above the SMTP timeouts, so only a dead sender outlives it. */
const SEND_MINUTES = 5;

const minutesFromNow = (n: number) => new Date(Date.now() + n * 60_000);

/**
 * Claims due notifications as a lease: they stay `pending` with `next_attempt_at` moved to the lease's
 * end (millisecond precision, so the value read back identifies the claim). A sender that dies leaves
 * them to be claimed again once it runs out; none was handed to the SMTP server yet.
 */
async function claim(db: Database, lease: Date): Promise<NotificationRow[]> {
  // UPDATE … RETURNING gives rows in no particular order: the due time is carried out to send the oldest first.
  const { rows } = await sql<NotificationRow & { due_at: Date }>`
    with due as (
      select id, next_attempt_at as due_at from notifications where status = 'pending' and next_attempt_at <= now()
      order by next_attempt_at limit ${BATCH} for update skip locked
    )
    update notifications n set next_attempt_at = ${lease}, updated_at = now()
    from due where n.id = due.id
    returning n.*, due.due_at`.execute(db);
  return rows
    .sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || (a.id < b.id ? -1 : 1))
    .map(({ due_at: _due, ...row }) => row as NotificationRow);
}

/**
 * Flips one claimed row to `sending` just before its email goes out, if the claim is still ours, and
 * returns it as it is now (events folded in since the claim are in its count). From here on the email
 * is sent at most once: a sender that dies leaves it `sending`, and the sweep gives it up.
 */
async function begin(db: Database, id: string, lease: Date, sendLease: Date): Promise<NotificationRow | undefined> {
  return db
    .updateTable('notifications')
    .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), next_attempt_at: sendLease, updated_at: new Date() }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', lease)
    .returningAll()
    .executeTakeFirst();
}

type Settlement = { status: 'sent' | 'pending' | 'failed' | 'skipped'; last_error?: string | null; next_attempt_at?: Date; sent_at?: Date; attempts?: number };

/** Settles a row this sender holds (`status` as it left it, `next_attempt_at` its lease). */
async function settle(db: Database, id: string, held: { status: 'pending' | 'sending'; lease: Date }, set: Settlement) {
  await db
    .updateTable('notifications')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', held.status)
    .where('next_attempt_at', '=', held.lease)
    .execute();
}

async function botNamesOf(db: Database, rows: NotificationRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.data.bot_id).filter((v): v is string => typeof v === 'string'))];
  if (!ids.length) return new Map();
  const bots = await db.selectFrom('bots').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(bots.map((b) => [b.id, b.name]));
}

/** Claimed but not tried (the server is unreachable): back to the queue as they were, for the sweep. */
async function release(db: Database, rows: NotificationRow[], lease: Date, reason: string) {
  if (!rows.length) return;
  await db
    .updateTable('notifications')
    .set({ last_error: reason, next_attempt_at: minutesFromNow(UNREACHABLE_RETRY_MINUTES), updated_at: new Date() })
    .where('id', 'in', rows.map((r) => r.id))
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', lease)
    .execute();
}

/** What becomes of an email whose send failed: retried later, or given up. */
function afterFailure(row: NotificationRow, failure: EmailError | null): Settlement & { retry: boolean } {
  const reason = failure?.message ?? 'internal error';
  if (failure?.unreachable) {
    const retry = Date.now() < row.window_started_at.getTime() + UNREACHABLE_GIVE_UP_HOURS * 3_600_000;
    // Not an attempt: the attempt counted by begin() is handed back.
    return retry
      ? { retry, status: 'pending', attempts: row.attempts - 1, last_error: reason, next_attempt_at: minutesFromNow(UNREACHABLE_RETRY_MINUTES) }
      : { retry, status: 'failed', attempts: row.attempts - 1, last_error: `${reason} (for ${UNREACHABLE_GIVE_UP_HOURS} hours)` };
  }
  const retry = !failure?.permanent && row.attempts < MAX_ATTEMPTS;
  return retry
    ? { retry, status: 'pending', last_error: reason, next_attempt_at: minutesFromNow(RETRY_MINUTES[Math.min(row.attempts, RETRY_MINUTES.length) - 1]!) }
    : { retry, status: 'failed', last_error: reason };
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
    const lease = minutesFromNow(CLAIM_MINUTES);
    const rows = await claim(deps.db, lease);
    if (!rows.length) break;
    const [settings, botNames] = await Promise.all([settingsOf(deps.db, [...new Set(rows.map((r) => r.account_id))]), botNamesOf(deps.db, rows)]);
    for (const [i, claimed] of rows.entries()) {
      // The addresses of now: an address removed since the event no longer gets it.
      const to = settings.get(claimed.account_id)?.emails ?? [];
      if (!to.length) {
        await settle(deps.db, claimed.id, { status: 'pending', lease }, { status: 'skipped', last_error: 'no email address in the notification settings' });
        continue;
      }
      const sendLease = minutesFromNow(SEND_MINUTES);
      const row = await begin(deps.db, claimed.id, lease, sendLease);
      if (!row) continue; // the claim ran out and another sender has it
      const content = renderNotification({ kind: row.kind, data: row.data, count: row.count, windowStartedAt: row.window_started_at, botNames });
      const held = { status: 'sending', lease: sendLease } as const;
      try {
        await email.send({ to, ...content });
        await settle(deps.db, row.id, held, { status: 'sent', sent_at: new Date(), last_error: null });
        sent++;
      } catch (err) {
        const failure = err instanceof EmailError ? err : null;
        if (!failure) deps.log.error({ err, notification_id: row.id }, 'notification email failed');
        const { retry, ...set } = afterFailure(row, failure);
        deps.log.warn({ notification_id: row.id, kind: row.kind, attempt: row.attempts, retry, reason: set.last_error }, 'notification email not sent');
        await settle(deps.db, row.id, held, set);
        if (failure?.unreachable) {
          await release(deps.db, rows.slice(i + 1), lease, set.last_error ?? '');
          return sent;
        }
      }
    }
  }
  return sent;
}

/**
 * Emails whose sender died while handing them to the server (`sending` past their lease): given up,
 * never sent twice. Rows only claimed are still `pending` and are claimed again when their lease ends.
 */
export async function giveUpInterrupted(db: Database): Promise<void> {
  await db
    .updateTable('notifications')
    .set({ status: 'failed', last_error: 'interrupted while sending; not sent again', updated_at: new Date() })
    .where('status', '=', 'sending')
    .where('next_attempt_at', '<', new Date())
    .execute();
}

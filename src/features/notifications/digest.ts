import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import { computeAnalytics } from '../analytics/analytics-service.js';
import { idWindow, resolveRange } from '../analytics/range.js';
import { accountsWithSettings, joinedSettings } from './settings.js';
import { queueSends } from './store.js';

export const DIGEST_JOB = 'notifications.digest';
const DAY_MS = 86_400_000;
/** Sent, failed and skipped notifications are kept this long (for support), then deleted. */
const KEEP_DAYS = 30;

const isDay = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

/** The accounts with the digest on, an address to send it to, and something that happened on the day (every change writes an outbox event). */
async function candidates(deps: AppDeps, from: Date, to: Date) {
  const ids = idWindow('evt', from, to);
  const rows = await accountsWithSettings(deps.db)
    .where('a.id', 'in', (eb) =>
      eb.selectFrom('outbox_events').select('account_id').distinct().where('id', '>=', ids.lo).where('id', '<', ids.hi).where('created_at', '>=', from).where('created_at', '<', to),
    )
    .execute();
  return rows
    .map((r) => ({ accountId: r.id, settings: joinedSettings(r) }))
    .filter((c) => c.settings.digest && c.settings.emails.length > 0);
}

/** The day's numbers of one account, from the analytics series, and its knowledge sources that failed. */
async function summaryOf(deps: AppDeps, accountId: string, day: string, from: Date, to: Date) {
  const range = resolveRange({ from: from.toISOString(), to: to.toISOString(), interval: 'day' });
  const ids = idWindow('evt', from, to);
  const [{ totals }, failed] = await Promise.all([
    computeAnalytics(deps.db, { accountId, botIds: null }, range, 'counts'),
    deps.db
      .selectFrom('outbox_events')
      .select(sql<number>`count(*)`.as('n'))
      .where('account_id', '=', accountId)
      .where('id', '>=', ids.lo)
      .where('id', '<', ids.hi)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .where('type', '=', 'source.failed')
      .executeTakeFirstOrThrow(),
  ]);
  return {
    day,
    messages_in: totals.messages_in,
    messages_out: totals.messages_out,
    new_users: totals.new_users,
    conversations: totals.conversations,
    takeovers: totals.takeovers,
    calls: totals.calls,
    call_minutes: totals.call_minutes,
    opt_outs: totals.opt_outs,
    failed_sources: Number(failed.n),
  };
}

/**
 * The daily digest (cron at DIGEST_HOUR_UTC): for every account with the digest on, a summary of the
 * previous UTC day (or `data.day`), when anything happened. One digest per account and day, however
 * often this runs. Also deletes settled notifications older than KEEP_DAYS.
 */
export async function runDigest(deps: AppDeps, data: { day?: unknown } = {}): Promise<number> {
  const day = isDay(data.day) ? data.day : new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + DAY_MS);
  let queued = 0;
  for (const c of await candidates(deps, from, to)) {
    const summary = await summaryOf(deps, c.accountId, day, from, to);
    const { day: _day, ...counts } = summary;
    if (!Object.values(counts).some((n) => n > 0)) continue;
    const inserted = await deps.db
      .insertInto('notifications')
      .values({ id: newId('ntf'), account_id: c.accountId, kind: 'digest', dedupe_key: `digest:${day}`, data: JSON.stringify(summary), next_attempt_at: new Date(), window_started_at: from, updated_at: new Date() })
      .onConflict((oc) => oc.columns(['account_id', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) queued++;
  }
  if (queued) await queueSends(null, deps.jobs, [new Date()]);
  await deps.db
    .deleteFrom('notifications')
    .where('status', 'in', ['sent', 'failed', 'skipped'])
    .where('updated_at', '<', new Date(Date.now() - KEEP_DAYS * DAY_MS))
    .execute();
  return queued;
}

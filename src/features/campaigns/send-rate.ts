import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/**
 * Per-number send rate for campaigns: slots in one-second windows, counted in rate_limit_counters so
 * every campaign and every worker sending from the number shares them (two campaigns of one bot do
 * not double its rate). Windows follow the campaign clock; the maintenance job prunes old ones.
 */

export interface Slots {
  granted: number;
  /** The window the slots belong to, for giving unused ones back. */
  window: Date;
}

export const rateBucket = (phone: string) => `campaign-sms:${phone}`;
const windowOf = (at: Date) => new Date(Math.floor(at.getTime() / 1000) * 1000);

/**
 * Takes up to `want` of the `limit` slots of the window `at` falls in. The add is one statement on
 * one row (row-locked), so concurrent takers see each other's adds and never share out more than
 * `limit`; what was over-asked is given back.
 */
export async function takeSlots(db: Database, bucket: string, at: Date, want: number, limit: number): Promise<Slots> {
  const window = windowOf(at);
  if (want <= 0) return { granted: 0, window };
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ bucket, window_start: window, count: want })
    .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limit_counters.count + excluded.count` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  const before = row.count - want;
  const granted = Math.max(0, Math.min(want, limit - before));
  if (granted < want) await giveBack(db, bucket, window, want - granted);
  return { granted, window };
}

/** Returns unused slots (recipients skipped or deferred instead of sent). */
export async function giveBack(db: Database, bucket: string, window: Date, n: number): Promise<void> {
  if (n <= 0) return;
  await db
    .updateTable('rate_limit_counters')
    .set({ count: sql`greatest(count - ${n}, 0)` })
    .where('bucket', '=', bucket)
    .where('window_start', '=', window)
    .execute();
}

/** Milliseconds until the window after `at` opens. */
export const untilNextWindow = (at: Date) => 1000 - (at.getTime() % 1000);

import { sql } from 'kysely';
import type { Database } from '../db/database.js';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

function windowOf(windowSeconds: number, now = Date.now()) {
  const start = Math.floor(now / 1000 / windowSeconds) * windowSeconds;
  return { start: new Date(start * 1000), resetSeconds: Math.max(1, start + windowSeconds - Math.floor(now / 1000)) };
}

/**
 * Counts one event in a fixed window and says whether it stays within `limit`. Counters live in the
 * database so that every API process shares them.
 */
export async function hitRateLimit(db: Database, bucket: string, windowSeconds: number, limit: number): Promise<RateLimitResult> {
  const { start, resetSeconds } = windowOf(windowSeconds);
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ bucket, window_start: start, count: 1 })
    .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limit_counters.count + 1` }))
    .returning('count')
    .executeTakeFirstOrThrow();
  return { allowed: row.count <= limit, limit, remaining: Math.max(0, limit - row.count), resetSeconds };
}

/** Takes back one event counted in the current window (an attempt that turned out fine). */
export async function refundRateLimit(db: Database, bucket: string, windowSeconds: number): Promise<void> {
  const { start } = windowOf(windowSeconds);
  await db
    .updateTable('rate_limit_counters')
    .set({ count: sql`count - 1` })
    .where('bucket', '=', bucket)
    .where('window_start', '=', start)
    .where('count', '>', 0)
    .execute();
}

/** Drops windows that ended; run by a scheduled job. */
export async function pruneRateLimits(db: Database, olderThanSeconds = 7200): Promise<number> {
  const res = await db
    .deleteFrom('rate_limit_counters')
    .where('window_start', '<', new Date(Date.now() - olderThanSeconds * 1000))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

import { invalid } from '../../core/errors.js';
import { idsAt, type IdPrefix } from '../../core/ids.js';
import type { Interval } from './schemas.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const STEP_MS: Record<Interval, number> = { hour: HOUR, day: DAY, week: 7 * DAY };
/** The step as PostgreSQL reads it (date_bin). */
export const STEP_SQL: Record<Interval, string> = { hour: '1 hour', day: '1 day', week: '7 days' };
/** A Monday at midnight UTC: weeks (and days, hours) are counted from it. */
export const ORIGIN = new Date('2001-01-01T00:00:00Z');

const MAX_DAYS = 400;
const MAX_HOUR_DAYS = 14;
const DEFAULT_DAYS = 30;

export interface AnalyticsRange {
  from: Date;
  to: Date;
  interval: Interval;
  /** Bucket starts, in order. */
  buckets: Date[];
}

const floorTo = (t: number, step: number) => ORIGIN.getTime() + Math.floor((t - ORIGIN.getTime()) / step) * step;

/** The range asked for, checked and widened to whole buckets (UTC). */
export function resolveRange(input: { from?: string | undefined; to?: string | undefined; interval: Interval }, now = new Date()): AnalyticsRange {
  const to = input.to ? new Date(input.to) : now;
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY);
  if (from.getTime() >= to.getTime()) throw invalid(input.from ? 'from' : 'to', '`from` must be before `to`.');
  const span = to.getTime() - from.getTime();
  if (span > MAX_DAYS * DAY) throw invalid('from', `A range is at most ${MAX_DAYS} days.`);
  if (input.interval === 'hour' && span > MAX_HOUR_DAYS * DAY) throw invalid('interval', `Hourly buckets cover at most ${MAX_HOUR_DAYS} days; use interval day or week.`);
  const step = STEP_MS[input.interval];
  const start = floorTo(from.getTime(), step);
  const end = floorTo(to.getTime() - 1, step) + step;
  const buckets: Date[] = [];
  for (let t = start; t < end; t += step) buckets.push(new Date(t));
  return { from: new Date(start), to: new Date(end), interval: input.interval, buckets };
}

/** Rows may be written a little before or after the id they were given says (clocks of app and database). */
const ID_CLOCK_MARGIN_MS = HOUR;

/**
 * Bounds on the ids of rows made between `from` and `to`. Ids sort by the time they were made, so a
 * table indexed on (owner, id) is range-scanned by time without an index on created_at (each index
 * slows every write). Callers also filter on created_at, for the exact edges.
 */
export function idWindow(prefix: IdPrefix, from: Date, to: Date): { lo: string; hi: string } {
  const [lo] = idsAt(prefix, [Math.max(0, from.getTime() - ID_CLOCK_MARGIN_MS)]);
  const [hi] = idsAt(prefix, [to.getTime() + ID_CLOCK_MARGIN_MS]);
  return { lo: lo!, hi: hi! };
}

/** Date inputs (UTC days) ↔ the ISO range get_analytics takes. */

const DAY = 86_400_000;

export type Interval = 'hour' | 'day' | 'week';

/** YYYY-MM-DD of a time, in UTC (the API's buckets are UTC). */
export const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The last `days` days, today included. */
export function preset(days: number, now = Date.now()): { from: string; to: string } {
  return { from: dayOf(now - (days - 1) * DAY), to: dayOf(now) };
}

/** The query for the inclusive day range: `to` is exclusive in the API, so the day after. */
export function toQuery(from: string, to: string): { from: string; to: string } {
  return { from: `${from}T00:00:00Z`, to: new Date(Date.parse(`${to}T00:00:00Z`) + DAY).toISOString() };
}

/** A bucket's label on the x axis and in the data table. */
export function bucketLabel(iso: string, interval: Interval): string {
  const d = new Date(iso);
  const day = d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  if (interval === 'hour') return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:00`;
  return interval === 'week' ? `wk ${day}` : day;
}

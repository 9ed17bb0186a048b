import { sql, type RawBuilder } from 'kysely';

/**
 * Reply latencies as a fixed log-scale histogram: bucket b holds the latencies ms with
 * b ≤ ln(1 + ms) / ln(RATIO) < b + 1, so each bucket spans 2 % of its values (single milliseconds
 * below about 50 ms). Histograms of days add up bucket by bucket, which exact percentiles do not: a
 * range's p50 and p95 come from the merged buckets of its rolled-up days and of the rest, the same
 * whichever days are rolled up, and within one bucket (±1 %) of the exact percentile.
 */
const RATIO = 1.02;

/** The bucket of a latency, in SQL: the rollups and the live reads must compute it alike. */
export const latencyBucket = (column: RawBuilder<unknown>) => sql<number>`floor(ln(1 + greatest(${column}, 0)) / ln(${sql.raw(String(RATIO))}))::int4`;

/** The value reported for a bucket: the middle of the whole milliseconds it holds. */
function bucketValue(b: number): number {
  const lo = Math.ceil(RATIO ** b - 1);
  const hi = Math.max(lo, Math.ceil(RATIO ** (b + 1) - 1) - 1);
  return Math.round((lo + hi) / 2);
}

/** Adds `count` replies in bucket `b`. */
export function addTo(hist: Map<number, number>, b: number, count: number): void {
  hist.set(b, (hist.get(b) ?? 0) + count);
}

/**
 * The p50 and p95 of a histogram as percentile_disc computes them: the bucket holding the
 * ceil(p × n)-th smallest latency; nulls without replies.
 */
export function percentilesOf(hist: Map<number, number>): [number | null, number | null] {
  const buckets = [...hist.entries()].filter(([, n]) => n > 0).sort((x, y) => x[0] - y[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return [null, null];
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * total));
    let seen = 0;
    for (const [b, n] of buckets) {
      seen += n;
      if (seen >= rank) return bucketValue(b);
    }
    return bucketValue(buckets[buckets.length - 1]![0]);
  };
  return [at(0.5), at(0.95)];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The ceiling of the wait after each failed attempt (1st, 2nd, …); the last one repeats. */
export const RETRY_CEILINGS_MS = [30_000, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR];

/** Shortest wait, so a jitter near zero does not resend straight into the same outage. */
const MIN_DELAY_MS = 1_000;

/**
 * The wait before the next attempt after `attempts` failed ones: "full jitter", a uniform draw below
 * the exponential ceiling, so the retries of many deliveries that failed together (an endpoint's
 * outage) spread out instead of arriving together when it comes back.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = RETRY_CEILINGS_MS[Math.min(Math.max(attempts, 1), RETRY_CEILINGS_MS.length) - 1]!;
  return Math.max(MIN_DELAY_MS, Math.floor(random() * ceiling));
}

/**
 * How long a delivery is retried automatically, from its creation: at least 24 h, and as long as an
 * endpoint may fail before it is disabled, so a delivery does not give up while its endpoint is
 * still being given the chance to recover. Going by time, not by a count of attempts, keeps the
 * promise whatever the jitter draws.
 */
export function retryWindowMs(disableAfterHours: number): number {
  return Math.max(24, disableAfterHours) * HOUR;
}

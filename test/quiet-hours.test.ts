import { describe, expect, it } from 'vitest';
import { nextSendTime, timeZonesOf } from '../src/features/campaigns/quiet-hours.js';

// Quiet hours in the recipient's zone, from the number (libphonenumber's prefix → time zone data).

describe('time zones of a number', () => {
  it('knows North American area codes and countries, and says when a number could be in several zones', () => {
    expect(timeZonesOf('+14155550100')).toEqual(['America/Los_Angeles']);
    expect(timeZonesOf('+12125550100')).toEqual(['America/New_York']);
    expect(timeZonesOf('+13065550100')).toEqual(['America/Regina']);
    expect(timeZonesOf('+4915112345678')).toEqual(['Europe/Berlin']);
    expect(timeZonesOf('+19995550100').length).toBeGreaterThan(10);
    expect(timeZonesOf('+999')).toEqual([]);
  });
});

describe('next send time', () => {
  const at = (iso: string) => new Date(iso);

  it('sends now inside 08:00-21:00 local time and defers to 08:00 local otherwise', () => {
    // 04:00 UTC: 20:00 in San Francisco (in the window), 23:00 in New York, 04:00 in London.
    const now = at('2026-11-30T04:00:00Z');
    expect(nextSendTime('+14155550100', now)).toEqual(now);
    expect(nextSendTime('+12125550100', now)).toEqual(at('2026-11-30T13:00:00Z'));
    expect(nextSendTime('+447700900123', now)).toEqual(at('2026-11-30T08:00:00Z'));
    // 21:00 sharp is already quiet.
    expect(nextSendTime('+12125550100', at('2026-12-01T02:00:00Z'))).toEqual(at('2026-12-01T13:00:00Z'));
  });

  it('follows daylight saving time', () => {
    // New York springs forward on 8 March 2026: 08:00 local is 13:00 UTC before and 12:00 UTC after.
    expect(nextSendTime('+12125550100', at('2026-03-07T06:00:00Z'))).toEqual(at('2026-03-07T13:00:00Z'));
    expect(nextSendTime('+12125550100', at('2026-03-09T06:00:00Z'))).toEqual(at('2026-03-09T12:00:00Z'));
  });

  it('waits until it is daytime in every zone a number may be in', () => {
    // An unassigned area code may be anywhere in North America, Guam to Newfoundland.
    const t = nextSendTime('+19995550100', at('2026-11-30T04:00:00Z'));
    for (const zone of ['Pacific/Guam', 'America/Adak', 'America/St_Johns']) {
      const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(t));
      expect(hour, zone).toBeGreaterThanOrEqual(8);
      expect(hour, zone).toBeLessThan(21);
    }
  });

  it('takes other windows, also across midnight, and never drops a number it cannot place', () => {
    const now = at('2026-11-30T04:00:00Z'); // 23:00 in New York
    expect(nextSendTime('+12125550100', now, { start: 22 * 60, end: 6 * 60 })).toEqual(now);
    expect(nextSendTime('+12125550100', now, { start: 9 * 60, end: 20 * 60 })).toEqual(at('2026-11-30T14:00:00Z'));
    expect(nextSendTime('+999123', now)).toEqual(now);
  });
});

import { randomBytes } from 'node:crypto';
import type { FakeAvailableNumber, FakeNumberType } from './fake-twilio.js';

/** Identifiers, numbers and formats the fake Twilio (fake-twilio.ts) makes and reads. */

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A well-formed Twilio account sid (AC + 32 hex). */
export const fakeAccountSid = () => `AC${hex(16)}`;
export const sidOf = (prefix: 'PN' | 'SM') => `${prefix}${hex(16)}`;

export const TYPE_PATH: Record<string, FakeNumberType> = { Local: 'local', TollFree: 'toll_free', Mobile: 'mobile' };

/** Numbers the search offers unless a test adds its own: valid per libphonenumber. */
export const DEFAULT_AVAILABLE: FakeAvailableNumber[] = [
  { phoneNumber: '+14155550123', country: 'US', type: 'local', locality: 'San Francisco', region: 'CA' },
  { phoneNumber: '+14155550124', country: 'US', type: 'local', locality: 'San Francisco', region: 'CA', sms: false },
  { phoneNumber: '+12125550100', country: 'US', type: 'local', locality: 'New York', region: 'NY' },
  { phoneNumber: '+18335550101', country: 'US', type: 'toll_free' },
  { phoneNumber: '+447400123456', country: 'GB', type: 'mobile' },
];

// Phone keypad letters, for Contains patterns such as "CALL".
const KEYPAD: Record<string, string> = Object.fromEntries(
  ['abc2', 'def3', 'ghi4', 'jkl5', 'mno6', 'pqrs7', 'tuv8', 'wxyz9'].flatMap((g) => [...g.slice(0, -1)].map((c) => [c, g.at(-1)!])),
);

export function containsMatcher(pattern: string): RegExp {
  const body = [...pattern.toLowerCase()].map((c) => (c === '*' ? '\\d' : /\d/.test(c) ? c : KEYPAD[c] ?? '')).join('');
  return new RegExp(body);
}

export const rfc2822 = (d = new Date()) => d.toUTCString().replace('GMT', '+0000');

export function friendly(phone: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phone;
}

/**
 * A random valid US number (+1 AREA NXX XXXX). Tests on a shared database use these so numbers (unique
 * across accounts in phone_numbers) never collide between tests or files.
 */
export function randomUsNumber(area = '415'): string {
  const exchange = 200 + (randomBytes(2).readUInt16BE() % 800);
  const line = randomBytes(2).readUInt16BE() % 10000;
  return `+1${area}${exchange}${String(line).padStart(4, '0')}`;
}

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { sinchAuthorization } from '../../../src/features/voice/sinch-callback-auth.js';
import { signStripe, WEBHOOK_SECRET } from '../fake-stripe.js';
import { PUBLIC_URL, sinchSmsSignatureHeaders } from '../sms.js';
import type { Case, KeyKind } from './case.js';
import type { CallbackKnown } from './callback-world.js';
import { hostileJson, hostileString } from './hostile-values.js';
import { encodeQueryComponent } from './query-string.js';

/**
 * Provider callbacks signed the way each provider signs them, over exactly the bytes sent: whatever
 * the body, the signature holds, so what the server does next is what is tested.
 */

/** The bytes the server reads, as text: a string goes out as UTF-8 (a lone surrogate as U+FFFD). */
const asReceived = (payload: string) => Buffer.from(payload, 'utf8').toString('utf8');

/**
 * Twilio's signature (telephony.md §3.1) computed here from the body's pairs, not through an object
 * of fields: the URL, then each field name in sorted order followed by each of its distinct values,
 * sorted; HMAC-SHA1 with the auth token, base64. Field names such as `__proto__` are fields too.
 */
export function twilioFormSignature(token: string, url: string, payload: string): string {
  const fields = new Map<string, Set<string>>();
  for (const [k, v] of new URLSearchParams(asReceived(payload))) fields.set(k, (fields.get(k) ?? new Set()).add(v));
  const data = [...fields.keys()].sort().reduce((acc, k) => acc + [...fields.get(k)!].sort().map((v) => k + v).join(''), url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** Pairs as a form body, every code point percent-encoded as WTF-8 (lone surrogates too: what a hostile sender can put on the wire). */
export const formBody = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');

/** A POST to `url` (path and query) signed with X-Twilio-Signature over PUBLIC_URL + url and the fields the body holds. */
export function signedTwilio(known: CallbackKnown, why: string, key: KeyKind, url: string, payload: string, contentType = 'application/x-www-form-urlencoded'): Case {
  const signature = twilioFormSignature(known.twilioToken, `${PUBLIC_URL}${url}`, payload);
  return { why, key, method: 'POST', url, headers: { 'content-type': contentType, 'x-twilio-signature': signature }, payload };
}

export const SINCH_VOICE_PATH = '/webhooks/sinch/voice';

/** A POST to the Sinch Voice callback with `Authorization: Application key:signature` over the raw body, content type and x-timestamp. */
export function signedSinchVoice(known: CallbackKnown, why: string, key: KeyKind, payload: string, contentType = 'application/json'): Case {
  const timestamp = new Date().toISOString();
  const signedPath = new URL(PUBLIC_URL).pathname.replace(/\/$/, '') + SINCH_VOICE_PATH;
  const authorization = sinchAuthorization(known.sinchAppKey, known.sinchAppSecret, { method: 'POST', path: signedPath, contentType, timestamp, body: payload });
  return { why, key, method: 'POST', url: SINCH_VOICE_PATH, headers: { 'content-type': contentType, 'x-timestamp': timestamp, authorization }, payload };
}

/** A POST to the Sinch SMS callback with Sinch's HMAC headers over the raw body. */
export function signedSinchSms(why: string, key: KeyKind, payload: string, contentType = 'application/json'): Case {
  return { why, key, method: 'POST', url: '/webhooks/sinch/sms', headers: { 'content-type': contentType, ...sinchSmsSignatureHeaders(payload) }, payload };
}

/** A POST to the Stripe webhook with the Stripe-Signature Stripe would send for this body. */
export function signedStripe(why: string, key: KeyKind, payload: string, contentType = 'application/json'): Case {
  return { why, key, method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': contentType, 'stripe-signature': signStripe(payload, WEBHOOK_SECRET) }, payload };
}

// Arbitraries the providers' cases share.

/** A value the provider would send (most of the time), or a hostile one. */
export const orHostile = <T>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown> = hostileString, odds = 3): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: odds, arbitrary: plausible }, { weight: 1, arbitrary: hostile });
/** Any JSON value instead of the plausible one: `odds` to 1 against, so that a record of many fields is often whole. */
export const orHostileJson = <T>(plausible: fc.Arbitrary<T>, odds = 3) => orHostile(plausible, hostileJson, odds);

export const hexString = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
export const usNumber = fc.integer({ min: 2_000_000, max: 9_999_999 }).map((n) => `+1555${n}`);

/** Words an object literal lookup answers for without holding them. */
export const PROTOTYPE_WORDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
/** One of each kind a lookup returns: Object.prototype itself, a constructor function, an inherited method. */
export const SWEEP_WORDS = ['__proto__', 'constructor', 'toString'];

/** An enumerated word the provider sends, one an object literal lookup mistakes for a member of its own, or a hostile value. */
export const words = (plausible: string[], hostile: fc.Arbitrary<unknown> = hostileString, odds = 4): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: odds, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_WORDS) }, { weight: 1, arbitrary: hostile });

/** Member names a careless reader trips on, or the record's own names again (a duplicate). */
export const strangeKey = (names: string[]) => fc.oneof(fc.constantFrom(...names, ...PROTOTYPE_WORDS, ''), hostileString);

/** Strings that fill a body up to a few KB under `limit`, however it is encoded (percent-encoded UTF-8 at worst: 12 bytes for an emoji). */
export const bigString = (limit: number) => {
  const room = limit - 4096;
  return fc.constantFrom('x'.repeat(room), 'é'.repeat(Math.floor(room / 6)), '🙂'.repeat(Math.floor(room / 12)), '\u0000'.repeat(Math.floor(room / 6)));
};

/** A record of the fields, with up to `maxDrop` of them left out. */
export function someFields(fields: Record<string, fc.Arbitrary<unknown>>, maxDrop = 2): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(fc.record(fields), fc.subarray(Object.keys(fields), { maxLength: maxDrop })).map(([all, dropped]) => {
    const kept = { ...all };
    for (const name of dropped) delete kept[name];
    return kept;
  });
}

/**
 * Copies of a JSON template with one leaf at a time (objects and the first array item, a few levels
 * deep) replaced by each of SWEEP_WORDS.
 */
export function prototypeSweep(template: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown, path: Array<string | number>, depth: number) => {
    if (node !== null && typeof node === 'object' && depth < 4) {
      const entries: Array<[string | number, unknown]> = Array.isArray(node) ? (node.length ? [[0, node[0]]] : []) : Object.entries(node);
      for (const [k, v] of entries) walk(v, [...path, k], depth + 1);
      return;
    }
    for (const word of SWEEP_WORDS) {
      const copy = structuredClone(template) as any;
      let at = copy;
      for (const k of path.slice(0, -1)) at = at[k];
      at[path.at(-1)!] = word;
      out.push(copy);
    }
  };
  walk(template, [], 0);
  return out;
}

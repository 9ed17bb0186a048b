import fc from 'fast-check';
import { keyArb, type Case } from './case.js';
import { hostileJson, hostileString } from './hostile-values.js';
import { MALFORMED_JSON } from './json-cases.js';
import type { Operation } from './operations.js';
import { queryString } from './query-string.js';

/** Provider callbacks without a valid signature: refused, whatever the body. */
export function unsignedCallbackCases(op: Operation): fc.Arbitrary<Case> {
  const signatures = fc.constantFrom<Record<string, string>>(
    {},
    { 'x-twilio-signature': 'AAAA' },
    { 'x-twilio-signature': "' or 1=1 --" },
    { 'stripe-signature': 't=1,v1=00' },
    { 'stripe-signature': 't=,v1=' },
    { authorization: 'Application key:c2ln', 'x-timestamp': new Date().toISOString() },
    { authorization: 'Basic Zm9vOmJhcg==' },
    { authorization: 'Application \u0000:\ud800' },
  );
  const bodies = fc.oneof(
    fc.dictionary(fc.constantFrom('From', 'To', 'Body', 'MessageSid', 'CallSid', 'SpeechResult', '__proto__', 'event', 'type'), hostileString).map((d) => [
      'application/x-www-form-urlencoded',
      queryString(d),
    ] as const),
    hostileJson.map((v) => ['application/json', JSON.stringify(v) ?? 'null'] as const),
    fc.constantFrom(...MALFORMED_JSON).map((p) => ['application/json', p] as const),
    hostileString.map((s) => ['text/plain', s] as const),
  );
  return fc.tuple(signatures, bodies, keyArb).map(([sig, [type, payload], key]): Case => ({
    why: 'unsigned callback',
    key,
    method: 'POST',
    url: op.path,
    headers: { 'content-type': type, ...sig },
    payload,
  }));
}

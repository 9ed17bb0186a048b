import fc from 'fast-check';
import { keyArb, type Case } from './case.js';
import type { CallbackKnown } from './callback-world.js';
import { hostileString } from './hostile-values.js';
import { MALFORMED_JSON } from './json-cases.js';
import { queryString } from './query-string.js';
import { bigString, formBody, hexString, orHostile, signedTwilio, someFields, strangeKey, SWEEP_WORDS, usNumber, words } from './signed-requests.js';

/**
 * Twilio's form-encoded callbacks (SMS inbound, SMS status, voice), validly signed, with Twilio's
 * fields holding hostile values, missing, repeated, or next to strange ones, and bodies that are not
 * forms at all (signed over whatever fields they read as).
 */

const LIMIT = 64 * 1024;
const sid = (prefix: string) => hexString(32).map((h) => `${prefix}${h}`);
const word = (...w: string[]) => words(w);

function numbers(known: CallbackKnown) {
  const ours = fc.constantFrom(known.twilioNumber, known.twilioNumber.slice(1), known.sinchNumber);
  return { ours: orHostile(fc.oneof({ weight: 3, arbitrary: ours }, { weight: 1, arbitrary: usNumber })), theirs: orHostile(usNumber) };
}

const smsFields = (known: CallbackKnown) => {
  const { ours, theirs } = numbers(known);
  return {
    MessageSid: orHostile(sid('SM')),
    SmsSid: orHostile(sid('SM')),
    AccountSid: orHostile(fc.constant(known.twilioAccountSid)),
    From: theirs,
    To: ours,
    Body: orHostile(fc.constantFrom('hello', 'STOP', 'START', 'HELP', 'stop please')),
    NumMedia: orHostile(fc.constantFrom('0', '1', '10', '11', '-1', '1e3', '0x10')),
    MediaUrl0: orHostile(fc.constantFrom('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', 'http://127.0.0.1:22/', 'http://169.254.169.254/latest/meta-data/')),
    MediaContentType0: orHostile(fc.constant('image/jpeg')),
    NumSegments: orHostile(fc.constant('1')),
    ApiVersion: orHostile(fc.constant('2010-04-01')),
  };
};

const statusFields = (known: CallbackKnown) => {
  const { ours, theirs } = numbers(known);
  return {
    MessageSid: orHostile(fc.oneof(fc.constant(known.twilioMessageSid), sid('SM'))),
    MessageStatus: word('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled', 'DELIVERED'),
    SmsStatus: word('sent', 'delivered'),
    ErrorCode: orHostile(fc.constantFrom('0', '30003', '21610', '99999999999999999999')),
    From: ours,
    To: theirs,
    AccountSid: orHostile(fc.constant(known.twilioAccountSid)),
  };
};

const voiceFields = (known: CallbackKnown) => {
  const { ours, theirs } = numbers(known);
  return {
    CallSid: orHostile(fc.oneof({ weight: 3, arbitrary: fc.constant(known.twilioCallSid) }, { weight: 2, arbitrary: sid('CA') })),
    AccountSid: orHostile(fc.constant(known.twilioAccountSid)),
    From: theirs,
    To: ours,
    Direction: word('inbound', 'outbound-api', 'outbound-dial'),
    CallStatus: word('ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'),
    AnsweredBy: word('human', 'machine_start', 'machine_end_beep', 'fax', 'unknown'),
    SpeechResult: orHostile(fc.constantFrom('I would like a table for two', 'goodbye', 'transfer me to a human')),
    Digits: orHostile(fc.constantFrom('1', '#', '*9', '0123456789')),
    DialCallStatus: word('completed', 'busy', 'no-answer', 'failed'),
    CallDuration: orHostile(fc.constantFrom('0', '17', '9999999', '99999999', '-1', '1.5')),
    RecordingUrl: orHostile(fc.constantFrom('https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1', `https://${'a'.repeat(2100)}`, 'http://127.0.0.1/')),
    RecordingStatus: word('completed', 'failed'),
  };
};

/** The query a callback URL of ours carries (the signature covers it), with hostile values. */
function voiceQuery(known: CallbackKnown, path: string): fc.Arbitrary<Record<string, string>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = { call_id: orHostile(fc.constantFrom(...known.ourCallIds)), turn: orHostile(hexString(12)) };
  if (path.endsWith('/gather')) fields.dial = orHostile(fc.constant('1'));
  return fc.record(fields, { requiredKeys: [] }).map((q) => q as Record<string, string>);
}

const withQuery = (path: string, q: Record<string, string>) => (Object.keys(q).length ? `${path}?${queryString(q)}` : path);

/** Cases for one Twilio callback path. */
export function signedTwilioCases(known: CallbackKnown, path: string): fc.Arbitrary<Case> {
  const fields = path === '/webhooks/twilio/sms' ? smsFields(known) : path === '/webhooks/twilio/sms-status' ? statusFields(known) : voiceFields(known);
  const query: fc.Arbitrary<Record<string, string>> =
    path === '/webhooks/twilio/sms-status'
      ? fc.record({ sms_id: orHostile(fc.constantFrom(...known.smsIds)) }, { requiredKeys: [] }).map((q) => q as Record<string, string>)
      : path.startsWith('/webhooks/twilio/voice')
        ? voiceQuery(known, path)
        : fc.record({ x: hostileString }, { requiredKeys: [] });
  const names = Object.keys(fields);
  const pairs = fc
    .tuple(someFields(fields, 3), fc.array(fc.tuple(strangeKey(names), hostileString), { maxLength: 3 }))
    .map(([record, extra]): Array<[string, string]> => [...Object.entries(record).map(([k, v]): [string, string] => [k, String(v)]), ...extra]);
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(pairs, query, keyArb).map(([p, q, key]) => signedTwilio(known, 'signed hostile form', key, withQuery(path, q), formBody(p))) },
    {
      weight: 1,
      arbitrary: fc.tuple(pairs, fc.constantFrom(...names), bigString(LIMIT), query, keyArb).map(([p, name, big, q, key]) =>
        signedTwilio(known, `signed form, ${name} huge`, key, withQuery(path, q), formBody([...p.filter(([k]) => k !== name), [name, big]])),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(hostileString, fc.constantFrom(...MALFORMED_JSON, 'a=1&a=2&a=1', '&&&', '=', '%', '%zz=%zz', '%E0%80%80=%C0%AF', 'To&To=&=To', `CallSid=CA${'0'.repeat(32)}&CallSid=CA${'1'.repeat(32)}`)),
          fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'text/plain', 'application/json', 'multipart/form-data; boundary=x'),
          keyArb,
        )
        .map(([payload, type, key]) => signedTwilio(known, 'signed body that is no form', key, path, payload, type)),
    },
  );
}

/** The query and fields of an ordinary request each Twilio path accepts. */
function template(known: CallbackKnown, path: string): [query: string, fields: Record<string, string>] {
  const caller = '+15550001234';
  const voice = { CallSid: known.twilioCallSid, AccountSid: known.twilioAccountSid, From: caller, To: known.twilioNumber, Direction: 'inbound', ApiVersion: '2010-04-01' };
  const byPath: Record<string, [string, Record<string, string>]> = {
    '/webhooks/twilio/sms': ['', { MessageSid: `SM${'a'.repeat(32)}`, AccountSid: known.twilioAccountSid, From: caller, To: known.twilioNumber, Body: 'hello', NumMedia: '0' }],
    '/webhooks/twilio/sms-status': [`?sms_id=${known.smsIds[0]}`, { MessageSid: known.twilioMessageSid, MessageStatus: 'sent', From: known.twilioNumber, To: caller, AccountSid: known.twilioAccountSid, ErrorCode: '0' }],
    '/webhooks/twilio/voice': ['', { ...voice, CallSid: `CA${'b'.repeat(32)}`, CallStatus: 'ringing' }],
    '/webhooks/twilio/voice/gather': ['', { ...voice, CallStatus: 'in-progress', SpeechResult: 'hello there', DialCallStatus: 'completed' }],
    '/webhooks/twilio/voice/status': ['', { ...voice, CallStatus: 'in-progress', AnsweredBy: 'human', CallDuration: '3' }],
    '/webhooks/twilio/voice/recording': ['', { ...voice, RecordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1', RecordingStatus: 'completed' }],
  };
  return byPath[path] ?? ['', voice];
}

/** An ordinary, correctly signed request each Twilio path accepts. */
export function plausibleTwilio(known: CallbackKnown, path: string): Case {
  const [query, fields] = template(known, path);
  return signedTwilio(known, 'plausible', 'none', path + query, formBody(Object.entries(fields)));
}

/** The ordinary request with each field in turn set to each of SWEEP_WORDS. */
export function sweepTwilio(known: CallbackKnown, path: string): Case[] {
  const [query, fields] = template(known, path);
  return Object.keys(fields).flatMap((name) =>
    SWEEP_WORDS.map((word) => signedTwilio(known, `${name}=${word}`, 'none', path + query, formBody(Object.entries({ ...fields, [name]: word })))),
  );
}

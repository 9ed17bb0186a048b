import fc from 'fast-check';
import { json, keyArb, type Case, type KeyKind } from './case.js';
import type { CallbackKnown } from './callback-world.js';
import { hostileJson, hostileString } from './hostile-values.js';
import { MALFORMED_JSON, withMember } from './json-cases.js';
import { bigString, hexString, orHostileJson as orHostileJsonAt, PROTOTYPE_WORDS, prototypeSweep, signedSinchSms, signedSinchVoice, someFields, strangeKey, usNumber, words } from './signed-requests.js';

/**
 * Sinch's JSON callbacks, validly signed: Voice events (ICE, ACE, PIE, DiCE, Notify; Application
 * signature) and SMS events (MO messages, delivery reports; webhook HMAC), with hostile values in
 * their fields, fields missing or of the wrong type, unknown events, `__proto__` members, bodies that
 * are not JSON or not objects, and huge strings within the body limit.
 */

const LIMIT = 64 * 1024;
// Sinch's events are read whole by one schema: a field in four hostile makes few events readable.
const orHostileJson = <T>(plausible: fc.Arbitrary<T>) => orHostileJsonAt(plausible, 8);
const word = (...w: string[]) => words(w, hostileJson, 8);
const time = orHostileJson(fc.constantFrom(new Date().toISOString(), '2023-12-29T15:07:22Z'));

function voiceFields(known: CallbackKnown): Record<string, fc.Arbitrary<unknown>> {
  const callid = fc.oneof({ weight: 3, arbitrary: fc.constant(known.sinchCallId) }, { weight: 2, arbitrary: hexString(32) });
  const ours = fc.constantFrom(known.sinchNumber, known.sinchNumber.slice(1), known.twilioNumber);
  return {
    event: fc.oneof({ weight: 16, arbitrary: fc.constantFrom('ice', 'ace', 'pie', 'dice', 'notify') }, { weight: 1, arbitrary: fc.constantFrom('ICE', 'callingerror', '', ...PROTOTYPE_WORDS) }, { weight: 1, arbitrary: hostileJson }),
    callid: orHostileJson(callid),
    callResourceUrl: orHostileJson(
      fc.oneof(
        callid.map((id) => `https://calling-use1.api.sinch.com/calling/v1/calls/id/${id}`),
        fc.constantFrom('http://127.0.0.1:22/calling/v1/calls/id/x', 'http://169.254.169.254/latest/meta-data/', 'https://evil.example/calling/v1/calls/id/x'),
      ),
    ),
    timestamp: time,
    version: orHostileJson(fc.constant(1)),
    custom: orHostileJson(fc.constantFrom('', ...known.ourCallIds)),
    applicationKey: orHostileJson(fc.constant(known.sinchAppKey)),
    cli: orHostileJson(usNumber),
    from: orHostileJson(usNumber),
    to: orHostileJson(fc.record({ type: word('did', 'number', 'username', 'sip'), endpoint: orHostileJson(ours) })),
    domain: word('pstn', 'PSTN', 'mxp'),
    amd: orHostileJson(fc.record({ status: word('machine', 'human', 'notsure', 'hangup'), reason: word('beep', 'n/a'), duration: orHostileJson(fc.constant(4)) })),
    menuResult: orHostileJson(
      fc.record({
        menuId: word('main'),
        type: word('sequence', 'return', 'timeout', 'hangup', 'error', 'invalidinput'),
        value: orHostileJson(fc.oneof(hostileString, fc.constantFrom('1234', 'sales', 'I would like a table'))),
        inputMethod: word('dtmf', 'voice'),
      }),
    ),
    result: word('ANSWERED', 'BUSY', 'NOANSWER', 'FAILED', 'N/A'),
    reason: word('CALLERHANGUP', 'CALLEEHANGUP', 'CANCEL', 'TIMEOUT'),
    duration: orHostileJson(fc.constantFrom(0, 16, 14_400, -1, 1e308, 2 ** 63, 1.5)),
    debit: orHostileJson(fc.record({ currencyId: word('USD', 'EUR'), amount: orHostileJson(fc.constantFrom(0.1758, 0, -1, 1e308)) })),
    userRate: orHostileJson(fc.record({ currencyId: word('USD'), amount: orHostileJson(fc.constant(0.01)) })),
    type: word('recording_available', 'recording_finished', 'transcription_available', 'amd', 'amd_beep'),
    destination: orHostileJson(fc.constantFrom('s3://bucket/recordings/a.mp3', 'https://storage.example/a.mp3', 'azure://c/a.mp3', 'file:///etc/passwd')),
    callHeaders: orHostileJson(fc.constant([{ key: 'foo', value: 'bar' }])),
  };
}

function smsFields(known: CallbackKnown): Record<string, fc.Arbitrary<unknown>> {
  const ours = fc.constantFrom(known.sinchNumber.slice(1), known.sinchNumber, known.twilioNumber.slice(1));
  return {
    type: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('mo_text', 'mo_media', 'recipient_delivery_report_sms', 'recipient_delivery_report_mms', 'delivery_report_sms', 'delivery_report_mms') },
      { weight: 1, arbitrary: fc.constantFrom('mo_binary', 'MO_TEXT', '', ...PROTOTYPE_WORDS) },
      { weight: 1, arbitrary: hostileJson },
    ),
    id: orHostileJson(hexString(26).map((h) => h.toUpperCase())),
    from: orHostileJson(usNumber.map((n) => n.slice(1))),
    to: orHostileJson(ours),
    body: orHostileJson(
      fc.oneof(
        fc.constantFrom('hello', 'STOP', 'START', 'HELP'),
        fc.record({ message: orHostileJson(fc.constant('look')), media: orHostileJson(fc.array(fc.record({ url: orHostileJson(fc.constantFrom('https://media.example/a.jpg', 'http://127.0.0.1/')) }), { maxLength: 12 })) }),
      ),
    ),
    received_at: time,
    operator_id: orHostileJson(fc.constant('310260')),
    batch_id: orHostileJson(fc.oneof(fc.constant(known.sinchBatchId), hexString(26))),
    client_reference: orHostileJson(fc.constantFrom(...known.smsIds)),
    recipient: orHostileJson(usNumber.map((n) => n.slice(1))),
    status: word('Queued', 'Dispatched', 'Delivered', 'Failed', 'Rejected', 'Expired', 'Cancelled', 'Unknown'),
    code: orHostileJson(fc.constantFrom(0, 400, 401, 402, 2 ** 63, -1, 1.5)),
    statuses: orHostileJson(
      fc.array(fc.record({ status: word('Delivered', 'Failed'), code: orHostileJson(fc.constant(401)), count: orHostileJson(fc.constant(1)), recipients: orHostileJson(fc.constant(['15550001234'])) }), { minLength: 1, maxLength: 2 }),
    ),
  };
}

/** JSON bodies of the event shape `fields` describes, and bodies that are not quite events. */
function jsonBodies(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<[why: string, payload: string, contentType: string]> {
  const names = Object.keys(fields);
  const event = fc.tuple(someFields(fields, 2), fc.array(fc.tuple(strangeKey(names), hostileJson), { maxLength: 2 })).map(([record, extra]) => extra.reduce((text, [k, v]) => withMember(JSON.parse(text), k, v), json(record)));
  const contentType = fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded') });
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(event, contentType).map(([p, t]): [string, string, string] => ['signed hostile event', p, t]) },
    {
      weight: 1,
      arbitrary: fc.tuple(someFields(fields, 1), fc.constantFrom(...names), bigString(LIMIT)).map(([record, name, big]): [string, string, string] => [`signed event, ${name} huge`, json({ ...record, [name]: big }), 'application/json']),
    },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON, '', '[]', '"ice"', 'null').map((p): [string, string, string] => ['signed malformed JSON', p, 'application/json']) },
    { weight: 1, arbitrary: hostileJson.map((v): [string, string, string] => ['signed JSON that is no object', json(v) ?? 'null', 'application/json']) },
  );
}

export function signedSinchVoiceCases(known: CallbackKnown): fc.Arbitrary<Case> {
  return fc.tuple(jsonBodies(voiceFields(known)), keyArb).map(([[why, payload, type], key]) => signedSinchVoice(known, why, key, payload, type));
}

export function signedSinchSmsCases(known: CallbackKnown): fc.Arbitrary<Case> {
  return fc.tuple(jsonBodies(smsFields(known)), keyArb).map(([[why, payload, type], key]) => signedSinchSms(why, key, payload, type));
}

const ice = (known: CallbackKnown, callid: string) => ({
  event: 'ice',
  callid,
  callResourceUrl: `https://calling-use1.api.sinch.com/calling/v1/calls/id/${callid}`,
  timestamp: new Date().toISOString(),
  version: 1,
  custom: '',
  cli: '+15550001234',
  to: { type: 'did', endpoint: known.sinchNumber },
  domain: 'pstn',
  applicationKey: known.sinchAppKey,
});

/** An ICE to our Sinch number, as Sinch sends it. */
export function plausibleSinchVoice(known: CallbackKnown, key: KeyKind = 'none'): Case {
  return signedSinchVoice(known, 'plausible', key, json(ice(known, 'c'.repeat(32))));
}

/** Each event on the live call (and an ICE), one field at a time set to each of SWEEP_WORDS. */
export function sweepSinchVoice(known: CallbackKnown): Case[] {
  const on = { callid: known.sinchCallId, timestamp: new Date().toISOString(), version: 1, applicationKey: known.sinchAppKey };
  const events = [
    ice(known, 'e'.repeat(32)),
    { event: 'ace', ...on, custom: known.ourCallIds[1] ?? '', amd: { status: 'human', reason: 'n/a', duration: 2 } },
    { event: 'pie', ...on, menuResult: { menuId: 'main', type: 'sequence', value: 'hello', inputMethod: 'voice' } },
    { event: 'notify', ...on, type: 'amd', custom: '', destination: 's3://bucket/a.mp3', amd: { status: 'machine' } },
    { event: 'dice', ...on, custom: '', reason: 'CALLERHANGUP', result: 'ANSWERED', duration: 16, from: '+15550001234', to: { type: 'number', endpoint: known.sinchNumber }, debit: { currencyId: 'USD', amount: 0.17 } },
  ];
  return events.flatMap((e) => prototypeSweep(e).map((v) => signedSinchVoice(known, `${e.event}, one field a prototype word`, 'none', json(v))));
}

const report = (known: CallbackKnown) => ({ type: 'recipient_delivery_report_sms', batch_id: known.sinchBatchId, recipient: '15550001234', code: 0, status: 'Dispatched', at: new Date().toISOString(), client_reference: known.smsIds[1] });

/** A delivery report for the text we sent through Sinch. */
export function plausibleSinchSms(known: CallbackKnown): Case {
  return signedSinchSms('plausible', 'none', json(report(known)));
}

/** An MO text and both kinds of delivery report, one field at a time set to each of SWEEP_WORDS. */
export function sweepSinchSms(known: CallbackKnown): Case[] {
  const events = [
    { type: 'mo_text', id: 'F'.repeat(26), from: '15550001234', to: known.sinchNumber.slice(1), body: 'hello', received_at: new Date().toISOString(), operator_id: '310260' },
    report(known),
    { type: 'delivery_report_sms', batch_id: known.sinchBatchId, client_reference: known.smsIds[1], statuses: [{ code: 401, status: 'Dispatched', count: 1, recipients: ['15550001234'] }] },
  ];
  return events.flatMap((e) => prototypeSweep(e).map((v) => signedSinchSms(`${e.type}, one field a prototype word`, 'none', json(v))));
}

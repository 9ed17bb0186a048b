import { afterAll, beforeAll, it } from 'vitest';
import { sender, type Send } from './answers.js';
import { startCallbackWorld, type CallbackWorld } from './callback-world.js';
import { formBody, signedSinchSms, signedTwilio } from './signed-requests.js';

let w: CallbackWorld;
let send: Send;
beforeAll(async () => {
  w = await startCallbackWorld();
  send = sender(w.h, { admin: null, conversation: null, invalid: null, none: null });
}, 120_000);
afterAll(async () => w?.close());

it('repro', async () => {
  (w.h.app.log as any).level = 'error';
  const k = w.known;
  const cases = [
    signedTwilio(k, 'sms status', 'none', `/webhooks/twilio/sms-status?sms_id=${k.smsIds[0]}`, formBody([['MessageSid', k.twilioMessageSid], ['MessageStatus', 'constructor'], ['From', k.twilioNumber], ['To', '+15550001234'], ['AccountSid', k.twilioAccountSid]])),
    signedTwilio(k, 'sms status unknown sid', 'none', `/webhooks/twilio/sms-status`, formBody([['MessageSid', 'SM' + '0'.repeat(32)], ['MessageStatus', '__proto__'], ['From', k.twilioNumber], ['AccountSid', k.twilioAccountSid]])),
    signedTwilio(k, 'voice status', 'none', '/webhooks/twilio/voice/status', formBody([['CallSid', k.twilioCallSid], ['AccountSid', k.twilioAccountSid], ['From', '+15550001234'], ['To', k.twilioNumber], ['CallStatus', 'constructor']])),
    signedTwilio(k, 'voice status proto', 'none', '/webhooks/twilio/voice/status', formBody([['CallSid', k.twilioCallSid], ['AccountSid', k.twilioAccountSid], ['From', '+15550001234'], ['To', k.twilioNumber], ['CallStatus', '__proto__']])),
    signedSinchSms('sinch report', 'none', JSON.stringify({ type: 'recipient_delivery_report_sms', batch_id: k.sinchBatchId, recipient: '15550001234', code: 0, status: 'constructor', client_reference: k.smsIds[1] })),
    signedSinchSms('sinch report unknown', 'none', JSON.stringify({ type: 'recipient_delivery_report_sms', batch_id: 'NOPE', status: 'toString' })),
  ];
  for (const c of cases) {
    const res = await send(c);
    console.log('REPRO', c.why, JSON.stringify({ url: c.url, headers: c.headers, payload: c.payload }), '→', res.status, res.body);
  }
}, 60_000);

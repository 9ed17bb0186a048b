import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from './support/harness.js';
import { fakeAccountSid, randomUsNumber, startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { startFakeSinchSms, type FakeSinchSms } from './support/fake-sinch-sms.js';
import { smsProviderFor, type NumberRow } from '../src/providers/sms/index.js';
import { twilioSmsStatus } from '../src/providers/sms/twilio-sms.js';
import { sandboxSms } from '../src/providers/sms/sandbox-sms.js';
import { ProviderApiError } from '../src/providers/provider-api-error.js';
import { sealTwilioToken } from '../src/providers/twilio-client.js';
import { DomainError } from '../src/core/errors.js';
import type { Config } from '../src/config.js';

// Each SMS adapter against its fake provider: the credentials it sends, the body it builds, how it
// reads the answer, and how a refusal comes back (with the provider's error code, never a secret).

let twilio: FakeTwilio;
let sinch: FakeSinchSms;
let config: Config;
beforeAll(async () => {
  twilio = await startFakeTwilio();
  sinch = await startFakeSinchSms();
  config = testConfig({
    TWILIO_ACCOUNT_SID: twilio.account.sid,
    TWILIO_AUTH_TOKEN: twilio.account.token,
    TWILIO_API_BASE_URL: twilio.url,
    SINCH_SMS_SERVICE_PLAN_ID: sinch.servicePlanId,
    SINCH_SMS_API_TOKEN: sinch.apiToken,
    SINCH_SMS_REGION: 'eu',
    SINCH_SMS_BASE_URL: sinch.url,
  });
});
afterAll(async () => {
  await twilio.close();
  await sinch.close();
});
beforeEach(() => {
  twilio.reset();
  sinch.reset();
});

function numberRow(over: Partial<NumberRow> = {}): NumberRow {
  const now = new Date();
  return {
    id: `num_${'0'.repeat(25)}${Math.floor(Math.random() * 10)}`,
    account_id: 'acct_x',
    phone_number: randomUsNumber(),
    provider: 'twilio',
    source: 'purchased',
    bot_id: null,
    sms: true,
    voice: true,
    provider_sid: null,
    twilio_account_sid: null,
    twilio_auth_token_enc: null,
    created_at: now,
    updated_at: now,
    ...over,
  };
}

const outgoing = (from: string, over: Record<string, unknown> = {}) => ({
  from,
  to: '+14155550199',
  body: 'Hello from the bot',
  statusCallbackUrl: 'https://sinth.example.com/webhooks/twilio/sms-status',
  reference: 'sms_01hzzzzzzzzzzzzzzzzzzzzzzz',
  ...over,
});

/** Runs `work` and returns what it threw. */
async function failure(work: () => Promise<unknown>): Promise<any> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('Twilio SMS', () => {
  it('sends from a platform number with the platform account: Basic auth, form-encoded PascalCase fields', async () => {
    const number = numberRow();
    twilio.addOwned(twilio.account.sid, number.phone_number);
    const port = smsProviderFor(config, number);
    expect(port.provider).toBe('twilio');
    const sent = await port.send(outgoing(number.phone_number));
    expect(sent.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');

    const req = twilio.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${twilio.account.sid}/Messages.json`, username: twilio.account.sid, authenticated: true });
    expect(req.params).toEqual({ To: '+14155550199', From: number.phone_number, Body: 'Hello from the bot', StatusCallback: 'https://sinth.example.com/webhooks/twilio/sms-status' });
    expect(twilio.sent).toHaveLength(1);
    expect(twilio.sent[0]!.sid).toBe(sent.providerMessageId);
  });

  it('leaves StatusCallback out when no delivery reports are wanted, and maps the answered status', async () => {
    const number = numberRow();
    twilio.addOwned(twilio.account.sid, number.phone_number);
    twilio.setSendStatus('sent');
    const sent = await smsProviderFor(config, number).send(outgoing(number.phone_number, { statusCallbackUrl: null }));
    expect(sent.status).toBe('sent');
    expect(twilio.requests.at(-1)!.params).not.toHaveProperty('StatusCallback');
  });

  it('sends from an imported number with that account\'s own credentials, decrypted from the row', async () => {
    const own = twilio.addAccount();
    const number = numberRow({ source: 'imported', twilio_account_sid: own.sid });
    number.twilio_auth_token_enc = sealTwilioToken(config, number.id, own.token);
    twilio.addOwned(own.sid, number.phone_number);
    await smsProviderFor(config, number).send(outgoing(number.phone_number));
    const req = twilio.requests.at(-1)!;
    expect(req).toMatchObject({ path: `/2010-04-01/Accounts/${own.sid}/Messages.json`, username: own.sid, authenticated: true });
    expect(twilio.sent[0]!.accountSid).toBe(own.sid);
  });

  it('an imported number works without platform credentials; a pool or purchased one then falls back to the sandbox', async () => {
    const bare = testConfig({ TWILIO_API_BASE_URL: twilio.url });
    const own = twilio.addAccount();
    const imported = numberRow({ source: 'imported', twilio_account_sid: own.sid });
    imported.twilio_auth_token_enc = sealTwilioToken(bare, imported.id, own.token);
    twilio.addOwned(own.sid, imported.phone_number);
    expect(smsProviderFor(bare, imported).provider).toBe('twilio');
    await smsProviderFor(bare, imported).send(outgoing(imported.phone_number));
    expect(twilio.sent).toHaveLength(1);
    expect(smsProviderFor(bare, numberRow()).provider).toBe('sandbox');
  });

  it('a stored token that does not open (another SECRET_KEY, or another row) fails the send with a clear error, without calling Twilio', async () => {
    const own = twilio.addAccount();
    const number = numberRow({ source: 'imported', twilio_account_sid: own.sid });
    number.twilio_auth_token_enc = sealTwilioToken(testConfig({ SECRET_KEY: 'cd'.repeat(32) }), number.id, own.token);
    const err = await failure(() => smsProviderFor(config, number).send(outgoing(number.phone_number)));
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ type: 'unprocessable', code: 'twilio_credentials_unreadable' });
    expect(err.message).not.toContain(own.token);

    const moved = numberRow({ source: 'imported', twilio_account_sid: own.sid, twilio_auth_token_enc: sealTwilioToken(config, 'num_other', own.token) });
    expect(await failure(() => smsProviderFor(config, moved).send(outgoing(moved.phone_number)))).toMatchObject({ code: 'twilio_credentials_unreadable' });
    expect(twilio.requests).toHaveLength(0);
  });

  it('a refusal carries Twilio\'s error code (21610: unsubscribed recipient), is not retryable, and names no credentials', async () => {
    const number = numberRow();
    twilio.addOwned(twilio.account.sid, number.phone_number);
    twilio.failNextSend({ code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const err = await failure(() => smsProviderFor(config, number).send(outgoing(number.phone_number)));
    expect(err).toBeInstanceOf(ProviderApiError);
    expect(err).toMatchObject({ type: 'provider_error', provider: 'twilio', providerCode: 21610, httpStatus: 400, retryable: false });
    expect(err.message).toContain('21610');
    expect(err.message).not.toContain(twilio.account.token);
    expect(err.message).not.toContain(twilio.account.sid);
    expect(JSON.stringify(err)).not.toContain(twilio.account.token);
  });

  it('a server error is retryable; wrong credentials are Twilio\'s 20003', async () => {
    const number = numberRow();
    twilio.addOwned(twilio.account.sid, number.phone_number);
    twilio.failNextSend({ code: 20500, status: 500, message: 'Internal Server Error' });
    const err = await failure(() => smsProviderFor(config, number).send(outgoing(number.phone_number)));
    expect(err).toMatchObject({ providerCode: 20500, httpStatus: 500, retryable: true });

    const wrong = testConfig({ TWILIO_ACCOUNT_SID: twilio.account.sid, TWILIO_AUTH_TOKEN: 'not-the-token', TWILIO_API_BASE_URL: twilio.url });
    const denied = await failure(() => smsProviderFor(wrong, number).send(outgoing(number.phone_number)));
    expect(denied).toMatchObject({ providerCode: 20003, httpStatus: 401, retryable: false });
    expect(denied.message).not.toContain('not-the-token');
  });

  it('an unreachable API is a retryable provider error without a status', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const down = testConfig({ TWILIO_ACCOUNT_SID: fakeAccountSid(), TWILIO_AUTH_TOKEN: 'secret-token', TWILIO_API_BASE_URL: `http://127.0.0.1:${port}` });
    const err = await failure(() => smsProviderFor(down, numberRow()).send(outgoing('+14155550100')));
    expect(err).toBeInstanceOf(ProviderApiError);
    expect(err).toMatchObject({ type: 'provider_error', providerCode: null, httpStatus: null, retryable: true });
    expect(err.message).not.toContain('secret-token');
  });

  it('maps Twilio\'s statuses onto ours', () => {
    const cases: Array<[string, string]> = [
      ['accepted', 'queued'], ['scheduled', 'queued'], ['queued', 'queued'], ['sending', 'sending'], ['sent', 'sent'],
      ['delivered', 'delivered'], ['read', 'delivered'], ['undelivered', 'undelivered'], ['failed', 'failed'],
      ['received', 'received'], ['receiving', 'received'], ['canceled', 'canceled'], ['Delivered', 'delivered'], ['something_new', 'sending'],
    ];
    for (const [theirs, ours] of cases) expect(twilioSmsStatus(theirs), theirs).toBe(ours);
  });
});

describe('Sinch SMS', () => {
  const sinchNumber = () => numberRow({ provider: 'sinch', source: 'sinch' });

  it('sends a batch with the Bearer token to the plan\'s path, per-recipient reports, our reference', async () => {
    const number = sinchNumber();
    const port = smsProviderFor(config, number);
    expect(port.provider).toBe('sinch');
    const sent = await port.send(outgoing(number.phone_number, { statusCallbackUrl: 'https://sinth.example.com/webhooks/sinch/sms' }));
    expect(sent).toEqual({ providerMessageId: sinch.sent[0]!.id, status: 'queued' });

    const req = sinch.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', path: `/xms/v1/${sinch.servicePlanId}/batches`, authorization: `Bearer ${sinch.apiToken}`, authenticated: true });
    expect(req.body).toEqual({
      type: 'mt_text',
      to: ['+14155550199'],
      from: number.phone_number,
      body: 'Hello from the bot',
      delivery_report: 'per_recipient',
      callback_url: 'https://sinth.example.com/webhooks/sinch/sms',
      client_reference: 'sms_01hzzzzzzzzzzzzzzzzzzzzzzz',
    });
  });

  it('asks for no reports when there is no callback URL', async () => {
    await smsProviderFor(config, sinchNumber()).send(outgoing('+14155550100', { statusCallbackUrl: null }));
    expect(sinch.sent[0]).toMatchObject({ deliveryReport: 'none', callbackUrl: null });
  });

  it('a refusal carries Sinch\'s error code and status; a bad token is a 401', async () => {
    sinch.failNext({ status: 400, code: 'syntax_constraint_violation', text: 'Body too long' });
    const err = await failure(() => smsProviderFor(config, sinchNumber()).send(outgoing('+14155550100')));
    expect(err).toBeInstanceOf(ProviderApiError);
    expect(err).toMatchObject({ type: 'provider_error', provider: 'sinch', providerCode: 'syntax_constraint_violation', httpStatus: 400, retryable: false });
    expect(err.message).toContain('Body too long');

    const wrong = testConfig({ SINCH_SMS_SERVICE_PLAN_ID: sinch.servicePlanId, SINCH_SMS_API_TOKEN: 'wrong-token', SINCH_SMS_BASE_URL: sinch.url });
    const denied = await failure(() => smsProviderFor(wrong, sinchNumber()).send(outgoing('+14155550100')));
    expect(denied).toMatchObject({ provider: 'sinch', httpStatus: 401, retryable: false });
    expect(denied.message).not.toContain('wrong-token');

    sinch.failNext({ status: 503, code: 'service_unavailable' });
    expect(await failure(() => smsProviderFor(config, sinchNumber()).send(outgoing('+14155550100')))).toMatchObject({ httpStatus: 503, retryable: true });
  });

  it('without Sinch settings a Sinch number uses the sandbox', () => {
    expect(smsProviderFor(testConfig(), sinchNumber()).provider).toBe('sandbox');
  });
});

describe('sandbox', () => {
  it('is used without a number, sends nothing and reports delivery', async () => {
    const port = smsProviderFor(config, null);
    expect(port.provider).toBe('sandbox');
    const sent = await port.send(outgoing('+14155550100'));
    expect(sent.status).toBe('delivered');
    expect(sent.providerMessageId).toMatch(/^SBX[0-9a-f]{32}$/);
    expect(twilio.requests).toHaveLength(0);
    expect(sinch.requests).toHaveLength(0);
    expect((await sandboxSms().send(outgoing('+1'))).providerMessageId).not.toBe(sent.providerMessageId);
  });
});

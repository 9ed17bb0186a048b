import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SinchClient } from '@sinch/sdk-core';
import { startFakeSinchVoice, type FakeSinchVoice } from './support/fake-sinch-voice.js';
import { randomUsNumber, startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { twilioClient } from '../src/providers/twilio-client.js';
import type { Config } from '../src/config.js';

// The voice fakes driven by the official SDKs: what the SDKs send must pass the fakes' checks (and a
// wrongly signed or wrongly owned request must not), so tests built on the fakes mean something.

describe('fake Sinch Calling API', () => {
  let fake: FakeSinchVoice;
  let sinch: SinchClient;
  const client = (applicationSecret: string) => new SinchClient({ applicationKey: fake.appKey, applicationSecret, voiceHostname: fake.url, logger: null });
  const callout = (c: SinchClient) =>
    c.voice.callouts.custom({
      customCalloutRequestBody: {
        method: 'customCallout',
        customCallout: { cli: '+14155550100', destination: { type: 'number', endpoint: '+14155550199' }, ice: 'https://sinth.example/ice', custom: 'conv-1' },
      },
    });

  beforeAll(async () => {
    fake = await startFakeSinchVoice();
    sinch = client(fake.appSecret);
  });
  afterAll(() => fake.close());

  it('accepts and records a callout the SDK signed', async () => {
    fake.reset();
    const { callId } = await callout(sinch);
    expect(callId).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.callouts).toEqual([{ callId, body: expect.objectContaining({ method: 'customCallout', customCallout: expect.objectContaining({ custom: 'conv-1' }) }) }]);
    expect(fake.requests[0]!.headers.authorization).toMatch(new RegExp(`^Application ${fake.appKey}:`));
    expect(fake.requests[0]!.headers['x-timestamp']).toBeTruthy();
  });

  it('refuses a request signed with another secret, and records nothing', async () => {
    fake.reset();
    await expect(callout(client(randomBytes(16).toString('base64')))).rejects.toMatchObject({ statusCode: 401 });
    expect(fake.callouts).toEqual([]);
    expect(fake.requests.map((r) => r.authenticated)).toEqual([false]);
  });

  it('records a call update, after which the call is FINAL', async () => {
    fake.reset();
    const { callId } = await callout(sinch);
    expect((await sinch.voice.calls.get({ callId: callId! })).status).toBe('ONGOING');
    await sinch.voice.calls.update({ callId: callId!, updateCallRequestBody: { instructions: [], action: { name: 'hangup' } } });
    expect(fake.updates).toEqual([{ callId, body: { instructions: [], action: { name: 'hangup' } } }]);
    expect((await sinch.voice.calls.get({ callId: callId! })).status).toBe('FINAL');
  });

  it('updates only calls it issued or was told about; fails on demand', async () => {
    fake.reset();
    const update = (callId: string) => sinch.voice.calls.update({ callId, updateCallRequestBody: { instructions: [], action: { name: 'continue' } } });
    await expect(update('inbound-1')).rejects.toMatchObject({ statusCode: 404 });
    fake.knowCall('inbound-1');
    await update('inbound-1');
    expect(fake.updates.map((u) => u.callId)).toEqual(['inbound-1']);
    fake.failNext({ status: 503 });
    await expect(callout(sinch)).rejects.toMatchObject({ statusCode: 503 });
    expect(fake.callouts).toEqual([]);
  });
});

describe('fake Twilio Calls API', () => {
  let fake: FakeTwilio;
  let client: ReturnType<typeof twilioClient>;
  const from = randomUsNumber();

  beforeAll(async () => {
    fake = await startFakeTwilio();
    fake.addOwned(fake.account.sid, from);
    client = twilioClient({ TWILIO_API_BASE_URL: fake.url } as Config, { accountSid: fake.account.sid, authToken: fake.account.token });
  });
  afterAll(() => fake.close());

  it('records a call create and its hang-up with the PascalCase params', async () => {
    fake.reset();
    const call = await client.calls.create({
      to: '+14155550199',
      from,
      url: 'https://sinth.example/twilio/voice',
      statusCallback: 'https://sinth.example/twilio/status',
      statusCallbackEvent: ['initiated', 'answered', 'completed'],
      machineDetection: 'DetectMessageEnd',
      timeLimit: 600,
    });
    expect(call).toMatchObject({ status: 'queued', direction: 'outbound-api', accountSid: fake.account.sid, to: '+14155550199', from });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.params).toMatchObject({ To: '+14155550199', From: from, Url: 'https://sinth.example/twilio/voice', StatusCallback: 'https://sinth.example/twilio/status', MachineDetection: 'DetectMessageEnd', TimeLimit: '600' });
    expect(fake.calls[0]!.multi.StatusCallbackEvent).toEqual(['initiated', 'answered', 'completed']);

    const updated = await client.calls(call.sid).update({ status: 'completed' });
    expect(updated.status).toBe('completed');
    expect(fake.callUpdates).toEqual([{ sid: call.sid, params: { Status: 'completed' } }]);
  });

  it('refuses a From the account does not own, and an unknown call', async () => {
    fake.reset();
    await expect(client.calls.create({ to: '+14155550199', from: randomUsNumber(), url: 'https://sinth.example/twilio/voice' })).rejects.toMatchObject({ status: 400, code: 21210 });
    await expect(client.calls(`CA${'0'.repeat(32)}`).update({ status: 'completed' })).rejects.toMatchObject({ status: 404, code: 20404 });
    expect(fake.calls).toEqual([]);
    expect(fake.callUpdates).toEqual([]);
    fake.knowCall(`CA${'1'.repeat(32)}`);
    await client.calls(`CA${'1'.repeat(32)}`).update({ twiml: '<Response><Hangup/></Response>' });
    expect(fake.callUpdates).toEqual([{ sid: `CA${'1'.repeat(32)}`, params: { Twiml: '<Response><Hangup/></Response>' } }]);
  });
});

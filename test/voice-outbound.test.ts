import { describe, expect, it } from 'vitest';
import { CallSimulator } from '../src/features/voice/simulator/call-simulator.js';
import { svamlProblems } from '../src/features/voice/simulator/svaml-rules.js';
import { randomUsNumber } from './support/fake-twilio.js';
import { callRows, PUBLIC_URL, useVoiceWorld, voiceBot, type VoiceWorld } from './support/voice.js';

let w: VoiceWorld;
useVoiceWorld((world) => (w = world));

const makeCall = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => w.h.request('POST', '/make_call', { key, body, headers });

describe('make_call over Sinch', () => {
  it('places a custom callout from the bot\'s number, and a person who answers talks with the bot about the purpose', async () => {
    const bot = await voiceBot(w);
    const to = randomUsNumber();
    const res = await makeCall(bot.key, { bot_id: bot.botId, to, purpose: 'Remind them of Friday\'s live show', amd: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'sinch', direction: 'outbound', status: 'ringing', from: bot.number, to, amd: true });
    const [callout] = w.sinch.callouts;
    expect(res.body.provider_call_id).toBe(callout!.callId);
    const custom = callout!.body.customCallout;
    expect(callout!.body.method).toBe('customCallout');
    expect(custom).toMatchObject({ custom: res.body.call_id, ace: `${PUBLIC_URL}/webhooks/sinch/voice`, pie: `${PUBLIC_URL}/webhooks/sinch/voice` });
    const ice = JSON.parse(custom.ice);
    expect(svamlProblems('ice', ice)).toEqual([]);
    expect(ice.action).toMatchObject({ name: 'connectPstn', number: to, cli: bot.number, amd: { enabled: true } });

    const call = CallSimulator.sinch({ transport: w.transport, publicUrl: PUBLIC_URL, appKey: w.sinch.appKey, appSecret: w.sinch.appSecret, from: bot.number, to, callId: callout!.callId });
    const answered = await call.answer({ amd: 'human', custom: res.body.call_id });
    expect(answered).toMatchObject({ state: 'listening', problems: [] });
    expect(answered.spoken.join(' ')).toContain('Hi, this is Luna');
    w.llm.next({ reply: 'It starts at eight.' });
    expect((await call.say('What time is the show?')).spoken.join(' ')).toBe('It starts at eight.');
    expect(w.llm.requests.at(-1)!.messages[0].content).toContain("Why you called: Remind them of Friday's live show");
    await call.hangup({ duration: 30 });
    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ status: 'completed', answered_by: 'human', duration_seconds: 30 });
  });

  it('leaves the voicemail message on an answering machine and hangs up', async () => {
    const bot = await voiceBot(w);
    const res = await makeCall(bot.key, { bot_id: bot.botId, to: randomUsNumber(), amd: true });
    const call = CallSimulator.sinch({ transport: w.transport, publicUrl: PUBLIC_URL, appKey: w.sinch.appKey, appSecret: w.sinch.appSecret, from: bot.number, to: res.body.to, callId: res.body.provider_call_id });
    const machine = await call.answer({ amd: 'machine', custom: res.body.call_id });
    expect(machine).toMatchObject({ state: 'voicemail', problems: [] });
    expect(machine.spoken.join(' ')).toBe('Hi, this is Luna. Sorry I missed you. Call me back any time.');
    const detail = await w.h.request('GET', '/get_call', { key: bot.key, query: { call_id: res.body.call_id } });
    expect(detail.body).toMatchObject({ answered_by: 'machine', transcript: [{ role: 'bot', kind: 'voicemail' }] });
  });

  it('records outbound calls when the bot records (startRecording in the inline ICE), and counts a repeated DiCE once', async () => {
    const bot = await voiceBot(w);
    await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { record: true } } });
    const res = await makeCall(bot.key, { bot_id: bot.botId, to: randomUsNumber() });
    const ice = JSON.parse(w.sinch.callouts[0]!.body.customCallout.ice);
    expect(ice.instructions).toEqual([{ name: 'startRecording', options: { notificationEvents: true } }]);
    const call = CallSimulator.sinch({ transport: w.transport, publicUrl: PUBLIC_URL, appKey: w.sinch.appKey, appSecret: w.sinch.appSecret, from: bot.number, to: res.body.to, callId: res.body.provider_call_id });
    await call.answer({ custom: res.body.call_id });
    await call.hangup({ duration: 65 });
    await call.hangup({ duration: 65 });
    const usage = await w.h.database.db.selectFrom('usage_daily').select('call_seconds').where('bot_id', '=', bot.botId).executeTakeFirstOrThrow();
    expect(Number(usage.call_seconds)).toBe(65);
    const ended = await w.h.database.db.selectFrom('outbox_events').select('type').where('account_id', '=', bot.accountId).where('type', '=', 'call.ended').execute();
    expect(ended).toHaveLength(1);
  });

  it('hangs a live call up with end_call (PATCH hangup on the call\'s host), and refuses a second time', async () => {
    const bot = await voiceBot(w);
    const res = await makeCall(bot.key, { bot_id: bot.botId, to: randomUsNumber() });
    const ended = await w.h.request('POST', '/end_call', { key: bot.key, body: { call_id: res.body.call_id } });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'completed', reason: 'ended_by_api' });
    expect(w.sinch.updates).toEqual([{ callId: res.body.provider_call_id, body: { instructions: [], action: { name: 'hangup' } } }]);
    const again = await w.h.request('POST', '/end_call', { key: bot.key, body: { call_id: res.body.call_id } });
    expect(again.status).toBe(409);
  });

  it('records a provider refusal as a failed call and answers 502', async () => {
    const bot = await voiceBot(w);
    w.sinch.failNext({ status: 400, body: { errorCode: 40003, message: 'Invalid destination' } });
    const res = await makeCall(bot.key, { bot_id: bot.botId, to: randomUsNumber() });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain('Invalid destination');
    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ status: 'failed', error_message: expect.stringContaining('Invalid destination') });
  });

  it('places one call for a retried request with the same Idempotency-Key', async () => {
    const bot = await voiceBot(w);
    const body = { bot_id: bot.botId, to: randomUsNumber() };
    const first = await makeCall(bot.key, body, { 'idempotency-key': 'call-once' });
    const second = await makeCall(bot.key, body, { 'idempotency-key': 'call-once' });
    expect(second.body.call_id).toBe(first.body.call_id);
    expect(w.sinch.callouts).toHaveLength(1);
  });
});

describe('make_call over Twilio', () => {
  it('creates the call with machine detection and callbacks here, leaves a voicemail on a machine, and closes on the status callback', async () => {
    const bot = await voiceBot(w, { provider: 'twilio' });
    const to = randomUsNumber();
    const res = await makeCall(bot.key, { bot_id: bot.botId, to, amd: true });
    expect(res.status).toBe(200);
    const [created] = w.tw.calls;
    expect(created!.params).toMatchObject({ To: to, From: bot.number, MachineDetection: 'DetectMessageEnd', Url: `${PUBLIC_URL}/webhooks/twilio/voice?call_id=${res.body.call_id}` });
    expect(created!.multi.StatusCallbackEvent).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(created!.params.Record).toBeUndefined();
    const call = CallSimulator.twilio({ transport: w.transport, publicUrl: PUBLIC_URL, accountSid: w.tw.account.sid, authToken: w.tw.account.token, from: bot.number, to, callSid: created!.sid });
    const machine = await call.answer({ amd: 'machine', voiceUrl: created!.params.Url, statusUrl: created!.params.StatusCallback });
    expect(machine).toMatchObject({ state: 'voicemail', problems: [] });
    await call.hangup({ duration: 12 });
    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ status: 'completed', duration_seconds: 12, answered_by: 'machine' });
  });

  it('hangs up with end_call (Status=completed), and asks Twilio to record when the bot records', async () => {
    const bot = await voiceBot(w, { provider: 'twilio' });
    await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { record: true } } });
    const res = await makeCall(bot.key, { bot_id: bot.botId, to: randomUsNumber() });
    expect((await w.h.request('POST', '/end_call', { key: bot.key, body: { call_id: res.body.call_id } })).status).toBe(200);
    expect(w.tw.callUpdates).toEqual([{ sid: res.body.provider_call_id, params: { Status: 'completed' } }]);
    expect(w.tw.calls[0]!.params).toMatchObject({ Record: 'true', RecordingStatusCallback: `${PUBLIC_URL}/webhooks/twilio/voice/recording?call_id=${res.body.call_id}` });
  });
});

describe('make_call refusals', () => {
  it('refuses a bot with no number to call from (no cli) with a 400, placing nothing', async () => {
    const { key } = await w.h.signup();
    const bot = await w.h.createBot(key, { name: 'Mute' });
    const res = await makeCall(key, { bot_id: bot.bot_id, to: randomUsNumber() });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'no_caller_id', param: 'bot_id' });
    expect(w.sinch.callouts).toHaveLength(0);
  });

  it('refuses opted-out and blocked users (422) and a bad number (400)', async () => {
    const bot = await voiceBot(w);
    const out = randomUsNumber();
    await w.h.database.db.insertInto('suppressions').values({ account_id: bot.accountId, phone: out, reason: 'sms_stop' }).execute();
    expect((await makeCall(bot.key, { bot_id: bot.botId, to: out })).body.error.code).toBe('user_opted_out');
    const bad = await makeCall(bot.key, { bot_id: bot.botId, to: '+1555' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('to');
    expect(w.sinch.callouts).toHaveLength(0);
  });
});

describe('voice settings', () => {
  it('returns defaults, takes a partial change, validates it, and resets with null', async () => {
    const bot = await voiceBot(w);
    const got = await w.h.request('GET', '/get_voice_settings', { key: bot.key, query: { bot_id: bot.botId } });
    expect(got.body.voice).toMatchObject({ provider: null, region: 'global', locale: 'en-US', barge_in: true, silence_timeout_seconds: 5, record: false, amd: false });
    const edited = await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { region: 'euc1', locale: 'de-DE', record: true } } });
    expect(edited.body.voice).toMatchObject({ region: 'euc1', locale: 'de-DE', record: true });
    for (const voice of [{ region: 'mars1' }, { locale: 'english' }, { silence_timeout_seconds: 0 }, { unknown: 1 }]) {
      const res = await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice } });
      expect(res.status, JSON.stringify(voice)).toBe(400);
    }
    const reset = await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { region: null } } });
    expect(reset.body.voice).toMatchObject({ region: 'global', locale: 'de-DE' });
  });

  it('speaks with the bot\'s locale and starts recording an inbound call when asked', async () => {
    const bot = await voiceBot(w);
    await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { locale: 'en-GB', record: true, barge_in: false, silence_timeout_seconds: 3 } } });
    const call = CallSimulator.sinch({ transport: w.transport, publicUrl: PUBLIC_URL, appKey: w.sinch.appKey, appSecret: w.sinch.appSecret, from: randomUsNumber(), to: bot.number });
    const hello = await call.start();
    const svaml = hello.raw as any;
    expect(svaml.instructions.map((i: any) => i.name)).toEqual(['answer', 'startRecording']);
    expect(svaml.action).toMatchObject({ name: 'runMenu', locale: 'en-GB', barge: false, enableVoice: true, menus: [{ id: 'main', timeoutMills: 3000 }] });
  });
});

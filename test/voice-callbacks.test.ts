import { describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { sinchAuthorization } from '../src/features/voice/sinch-callback-auth.js';
import { randomUsNumber } from './support/fake-twilio.js';
import { callRows, caller, PUBLIC_URL, useVoiceWorld, voiceBot, type VoiceWorld } from './support/voice.js';

let w: VoiceWorld;
useVoiceWorld((world) => (w = world));

const PATH = '/webhooks/sinch/voice';

/** An ICE to `to`, signed with `secret` at `timestamp` (or with what `opts` breaks). */
async function sinchIce(to: string, opts: { secret?: string; key?: string; timestamp?: string; tamper?: boolean; from?: string; callResourceUrl?: string } = {}) {
  const callid = Math.random().toString(16).slice(2).padEnd(32, '0');
  const body = JSON.stringify({
    event: 'ice',
    callid,
    callResourceUrl: opts.callResourceUrl ?? `https://calling-use1.api.sinch.com/calling/v1/calls/id/${callid}`,
    timestamp: new Date().toISOString(),
    version: 1,
    cli: opts.from ?? randomUsNumber(),
    to: { type: 'did', endpoint: to },
    domain: 'pstn',
  });
  const timestamp = opts.timestamp ?? new Date().toISOString();
  const authorization = sinchAuthorization(opts.key ?? w.sinch.appKey, opts.secret ?? w.sinch.appSecret, { method: 'POST', path: PATH, contentType: 'application/json', timestamp, body });
  const res = await w.h.app.inject({ method: 'POST', url: PATH, payload: opts.tamper ? body.replace('"ice"', '"ice" ') : body, headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, authorization } });
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) };
}

describe('callback verification', () => {
  it('refuses a Sinch callback that is unsigned, signed with another secret or key, altered, or stale (401, nothing stored)', async () => {
    const bot = await voiceBot(w);
    const otherSecret = Buffer.from('another secret!!').toString('base64');
    const stale = new Date(Date.now() - 11 * 60_000).toISOString();
    const future = new Date(Date.now() + 11 * 60_000).toISOString();
    for (const opts of [{ secret: otherSecret }, { key: 'someone-else' }, { tamper: true }, { timestamp: stale }, { timestamp: future }]) {
      const res = await sinchIce(bot.number, opts);
      expect(res.status, JSON.stringify(opts)).toBe(401);
      expect(res.json().error.code).toBe('invalid_signature');
    }
    const unsigned = await w.h.app.inject({ method: 'POST', url: PATH, payload: '{"event":"ice","callid":"x"}', headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(401);
    expect(await callRows(w, bot.botId)).toHaveLength(0);
    // Within the window it is accepted.
    expect((await sinchIce(bot.number, { timestamp: new Date(Date.now() - 9 * 60_000).toISOString() })).status).toBe(200);
  });

  it('refuses a Twilio voice webhook with a bad signature', async () => {
    const bot = await voiceBot(w, { provider: 'twilio' });
    const params = { CallSid: `CA${'1'.repeat(32)}`, AccountSid: w.tw.account.sid, From: randomUsNumber(), To: bot.number, CallStatus: 'ringing', Direction: 'inbound' };
    const forged = twilio.getExpectedTwilioSignature('not-the-token', `${PUBLIC_URL}/webhooks/twilio/voice`, params);
    const res = await w.h.app.inject({ method: 'POST', url: '/webhooks/twilio/voice', payload: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': forged } });
    expect(res.statusCode).toBe(401);
    expect(await callRows(w, bot.botId)).toHaveLength(0);
  });

  it('manages an inbound call only on a Sinch calling host named by the ICE', async () => {
    const bot = await voiceBot(w);
    await sinchIce(bot.number, { callResourceUrl: 'https://attacker.example/calling/v1/calls/id/1' });
    await sinchIce(bot.number, { callResourceUrl: 'https://calling-euc1.api.sinch.com/calling/v1/calls/id/2' });
    const rows = await callRows(w, bot.botId);
    expect(rows.map((r) => r.manage_origin)).toEqual([null, 'https://calling-euc1.api.sinch.com']);
  });
});

describe('who may call', () => {
  it('hangs up unanswered on a number that routes to no bot', async () => {
    for (const provider of ['sinch', 'twilio'] as const) {
      const call = caller(w, provider, randomUsNumber());
      const step = await call.start();
      expect(step).toMatchObject({ state: 'ended', spoken: [], problems: [] });
    }
  });

  it('refuses a blocked caller unanswered and tells an opted-out caller why the call cannot go on', async () => {
    const bot = await voiceBot(w);
    const blocked = randomUsNumber();
    const optedOut = randomUsNumber();
    await w.h.request('POST', '/create_user', { key: bot.key, body: { bot_id: bot.botId, user_id: blocked, phone: blocked } });
    await w.h.request('POST', '/block_user', { key: bot.key, body: { bot_id: bot.botId, user_id: blocked, blocked: true } });
    await w.h.database.db.insertInto('suppressions').values({ account_id: bot.accountId, phone: optedOut, reason: 'sms_stop' }).execute();

    const refused = await caller(w, 'sinch', bot.number, blocked).start();
    expect(refused).toMatchObject({ state: 'ended', spoken: [], problems: [] });
    expect((refused.raw as any).instructions).toEqual([]);
    const told = await caller(w, 'sinch', bot.number, optedOut).start();
    expect(told.state).toBe('ended');
    expect(told.spoken.join(' ')).toContain('You asked not to be contacted by Luna');
    const rows = await callRows(w, bot.botId);
    expect(rows.map((r) => [r.status, r.reason])).toEqual([['rejected', 'blocked'], ['rejected', 'opted_out']]);
    expect(w.llm.requests).toHaveLength(0);
  });

  it('refuses a hidden caller id politely', async () => {
    const bot = await voiceBot(w);
    const step = await caller(w, 'sinch', bot.number, 'anonymous').start();
    expect(step.state).toBe('ended');
    expect(step.spoken.join(' ')).toContain('hidden number');
    expect(await callRows(w, bot.botId)).toHaveLength(0);
  });
});

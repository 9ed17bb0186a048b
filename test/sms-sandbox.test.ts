import { describe, expect, it } from 'vitest';
import type { Harness } from './support/harness.js';
import type { FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, useModelHarness } from './support/conversation.js';
import { expectError } from './support/assertions.js';
import { until } from './support/sms.js';

// The SMS flow on a server with no SMS provider: a sandbox number, texts simulated through the API,
// the bot's replies "sent" by the sandbox provider and shown by get_sms_messages.

let fake: FakeOpenAi;
let h: Harness;
useModelHarness((harness, model) => ((h = harness), (fake = model)));

const SANDBOX = '+15005550006';
const FAN = '+14155550199';

describe('sandbox SMS', () => {
  it('takes a simulated text on a sandbox number, answers it through the sandbox provider, and honours STOP', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Luna', prompt: 'You are Luna.' });
    const assigned = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: SANDBOX, bot_id: botId, provider: 'sandbox' } });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body).toMatchObject({ phone_number: SANDBOX, provider: 'sandbox', source: 'sandbox', bot_id: botId, capabilities: { sms: true, voice: false } });

    fake.next({ reply: 'Hi from Luna.' });
    const sim = await h.request('POST', '/simulate_inbound_sms', { key, body: { to: SANDBOX, from: FAN, body: 'hello' } });
    expect(sim.status, JSON.stringify(sim.body)).toBe(200);
    const messages = async () => (await h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId } })).body.data as any[];
    const out = await until(async () => (await messages()).find((m) => m.direction === 'outbound' && m.status === 'delivered'), 'the sandbox reply');
    expect(out).toMatchObject({ from: SANDBOX, to: FAN, provider: 'sandbox', body: expect.stringContaining('Hi from Luna.') });
    expect((await messages()).find((m) => m.sms_id === sim.body.sms_id)).toMatchObject({ direction: 'inbound', from: FAN, to: SANDBOX, body: 'hello', status: 'received' });

    await h.request('POST', '/simulate_inbound_sms', { key, body: { to: SANDBOX, from: FAN, body: 'STOP' } });
    const user = await until(async () => {
      const u = (await h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: FAN } })).body;
      return u.opted_out && u;
    }, 'the opt-out');
    expect(user.opted_out).toBe(true);
    expectError(await h.request('POST', '/send_sms', { key, body: { bot_id: botId, to: FAN, body: 'Still there?' } }), 422, 'unprocessable', 'user_opted_out');
  });

  it('simulates only on a sandbox number of the account that routes to a bot', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Luna' });
    const other = await botWithKey(h, { name: 'Other' });
    await h.request('POST', '/assign_phone_number', { key: other.key, body: { phone_number: '+15005550007', bot_id: other.botId, provider: 'sandbox' } });
    expectError(await h.request('POST', '/simulate_inbound_sms', { key, body: { to: '+15005550007', from: FAN, body: 'hi' } }), 404, 'not_found');
    expectError(await h.request('POST', '/simulate_inbound_sms', { key, body: { to: 'nope', from: FAN, body: 'hi' } }), 400, 'invalid_request');
    expectError(await h.request('POST', '/assign_phone_number', { key, body: { phone_number: '+15005550008', bot_id: botId, provider: 'sandbox', voice: true } }), 422, 'unprocessable', 'sandbox_has_no_voice');
  });
});

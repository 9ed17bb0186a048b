import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestResponse } from './support/harness.js';
import { expectError } from './support/assertions.js';
import { BODY_LIMITS } from '../src/core/http/body-limits.js';

let h: Harness;
let key: string;
let botId: string;
beforeAll(async () => {
  h = await startHarness({}, { role: 'api' });
  key = (await h.signup()).key;
  botId = (await h.createBot(key)).bot_id;
});
afterAll(async () => h?.close());

async function post(url: string, payload: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  const res = await h.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', 'api-key': key, ...headers } });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
}

/** A JSON body of exactly `bytes` bytes: one string field padded out. */
const bodyOf = (bytes: number, field = 'name') => {
  const shell = JSON.stringify({ [field]: '' });
  return JSON.stringify({ [field]: 'x'.repeat(bytes - shell.length) });
};

describe('body size limits per route', () => {
  it('refuse sign-up and login bodies over 16 KB with a 413 naming the limit', async () => {
    for (const url of ['/create_account', '/login']) {
      const res = await post(url, bodyOf(BODY_LIMITS.small + 1, 'email'));
      expectError(res, 413, 'too_large', 'body_too_large');
      expect(res.body.error.message).toContain('16 KB');
    }
    expect(BODY_LIMITS.small).toBe(16 * 1024);
  });

  it('hold the other JSON endpoints to 256 KB, which the largest legitimate body fits', async () => {
    const over = await post('/create_bot', bodyOf(BODY_LIMITS.standard + 1));
    expectError(over, 413, 'too_large', 'body_too_large');
    expect(over.body.error.message).toContain('256 KB');
    // A 32,000-character prompt, every character escaped the way Python's json.dumps sends it.
    const prompt = '\\u00e9'.repeat(32_000);
    const payload = `{"name":"Escaped","prompt":"${prompt}","opening_message":"${'\\u00e9'.repeat(2000)}"}`;
    expect(payload.length).toBeGreaterThan(192 * 1024);
    const fits = await post('/create_bot', payload);
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
  });

  it('take a full campaign audience (10,000 ids of 128 characters) over the default limit', async () => {
    const userIds = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(128, 'u'));
    const payload = JSON.stringify({ bot_id: botId, audience: { user_ids: userIds } });
    expect(payload.length).toBeGreaterThan(BODY_LIMITS.standard);
    const res = await post('/preview_bulk_audience', payload);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    const over = await post('/preview_bulk_audience', bodyOf(BODY_LIMITS.large + 1, 'bot_id'));
    expectError(over, 413, 'too_large', 'body_too_large');
    expect(over.body.error.message).toContain('8 MB');
  });

  it('name a provider callback\'s own limit', async () => {
    const res = await post('/webhooks/twilio/sms', 'a'.repeat(64 * 1024 + 1), { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(res, 413, 'too_large', 'body_too_large');
    expect(res.body.error.message).toContain('64 KB');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { startHarness, type Harness } from './support/harness.js';
import { expectError } from './support/assertions.js';

let h: Harness;
let behindProxy: Harness;
beforeAll(async () => {
  [h, behindProxy] = await Promise.all([startHarness({}, { role: 'api' }), startHarness({ TRUST_PROXY: 'true' }, { role: 'api' })]);
});
afterAll(async () => {
  await Promise.all([h?.close(), behindProxy?.close()]);
});

function expectSecurityHeaders(res: LightMyRequestResponse, frame: string | undefined = 'DENY') {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe(frame);
  expect(String(res.headers['permissions-policy'])).toContain('camera=()');
  expect(String(res.headers['permissions-policy'])).toContain('microphone=()');
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers.server).toBeUndefined();
  // Plain http: a browser ignores HSTS there, and a server on a LAN address must not pin itself to https.
  expect(res.headers['strict-transport-security']).toBeUndefined();
}

describe('security headers', () => {
  it('are on every kind of response: success, refusal, unknown route, bad JSON, docs, dashboard', async () => {
    const { key } = await h.signup();
    const responses = [
      await h.app.inject({ method: 'GET', url: '/healthz' }),
      await h.app.inject({ method: 'GET', url: '/get_bots', headers: { 'api-key': key } }),
      await h.app.inject({ method: 'GET', url: '/get_bots' }),
      await h.app.inject({ method: 'GET', url: '/no_such_endpoint' }),
      await h.app.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key, 'content-type': 'application/json' }, payload: '{"name":' }),
      await h.app.inject({ method: 'GET', url: '/openapi.json' }),
      await h.app.inject({ method: 'GET', url: '/app' }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 401, 404, 400, 200, 200]);
    for (const res of responses) {
      expectSecurityHeaders(res);
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('let the widget script be loaded by other sites', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('send Strict-Transport-Security only for https through a trusted proxy', async () => {
    const https = await behindProxy.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(https.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}/);
    const http = await behindProxy.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'http' } });
    expect(http.headers['strict-transport-security']).toBeUndefined();
    // Without TRUST_PROXY the header is anyone's to send, and means nothing.
    const spoofed = await h.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('CORS: only a conversation key\'s origins', () => {
  const origin = 'https://fan.example';
  let key: string;
  let botId: string;
  let pinnedKey: string;
  let openKey: string;
  let session: string;
  beforeAll(async () => {
    const account = await h.signup();
    key = account.key;
    botId = (await h.createBot(key)).bot_id;
    const create = async (allowed?: string[]) =>
      (await h.request('POST', '/create_api_key', { key, body: { name: 'web', scope: 'conversation', ...(allowed ? { allowed_origins: allowed } : {}) } })).body.key as string;
    pinnedKey = await create([origin]);
    openKey = await create();
    session = (await h.request('POST', '/login', { body: { email: account.email, password: account.password } })).body.token;
    expect(session).toBeTruthy();
  });

  it('answers a conversation key\'s allowed origin, on success and on a later refusal, with Vary: Origin', async () => {
    const ok = await h.request('GET', '/get_ui', { query: { bot_id: botId, api_key: pinnedKey }, headers: { origin } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(origin);
    expect(String(ok.headers['access-control-expose-headers'])).toContain('x-request-id');
    expect(String(ok.headers.vary)).toMatch(/origin/i);
    const invalid = await h.request('POST', '/conversation_api', { key: pinnedKey, body: { creator: botId, user_id: 'u1', message: 7 }, headers: { origin } });
    expectError(invalid, 400, 'invalid_request');
    expect(invalid.headers['access-control-allow-origin']).toBe(origin);
  });

  it('answers any origin for a conversation key without an origin list (publishable everywhere)', async () => {
    const res = await h.request('GET', '/get_ui', { query: { bot_id: botId, api_key: openKey }, headers: { origin: 'https://anywhere.example' } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://anywhere.example');
  });

  it('never gives an admin key or a session CORS headers, not even on a conversation endpoint', async () => {
    const viaAdmin = await h.request('GET', '/get_ui', { key, query: { bot_id: botId }, headers: { origin } });
    expect(viaAdmin.status).toBe(200);
    expect(viaAdmin.headers['access-control-allow-origin']).toBeUndefined();
    expect(viaAdmin.headers['access-control-expose-headers']).toBeUndefined();
    expect(String(viaAdmin.headers.vary)).toMatch(/origin/i);
    const viaSession = await h.request('GET', '/get_ui', { bearer: session, query: { bot_id: botId }, headers: { origin } });
    expect(viaSession.status).toBe(200);
    expect(viaSession.headers['access-control-allow-origin']).toBeUndefined();
    // Refused for being in the URL: still no CORS for an admin key.
    const inUrl = await h.request('GET', '/get_ui', { query: { bot_id: botId, api_key: key }, headers: { origin } });
    expectError(inUrl, 403, 'forbidden', 'key_in_parameter');
    expect(inUrl.headers['access-control-allow-origin']).toBeUndefined();
    const adminEndpoint = await h.request('GET', '/get_bots', { key, headers: { origin } });
    expect(adminEndpoint.status).toBe(200);
    expect(adminEndpoint.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets a refused origin read the refusal (the widget shows it), and nothing else', async () => {
    const evil = await h.request('GET', '/get_ui', { query: { bot_id: botId, api_key: pinnedKey }, headers: { origin: 'https://evil.example' } });
    expectError(evil, 403, 'forbidden', 'origin_not_allowed');
    expect(evil.body.data).toBeUndefined();
  });

  it('answers preflights with the path\'s own methods, for conversation endpoints only', async () => {
    const preflight = (url: string, headers: Record<string, string> = { origin, 'access-control-request-method': 'POST' }) => h.app.inject({ method: 'OPTIONS', url, headers });
    const post = await preflight('/conversation_api');
    expect(post.statusCode).toBe(204);
    expect(post.headers['access-control-allow-origin']).toBe(origin);
    expect(post.headers['access-control-allow-methods']).toBe('POST');
    expect(String(post.headers.vary)).toMatch(/origin/i);
    const get = await preflight('/get_conversation_external/?x=1');
    expect(get.statusCode).toBe(204);
    expect(get.headers['access-control-allow-methods']).toBe('GET');
    for (const res of [await preflight('/get_bots'), await preflight('/create_api_key'), await preflight('/conversation_api', {})]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerErrorHandling } from '../src/core/http/error-handler.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('error model', () => {
  it('answers an unknown endpoint with the error shape and the request id', async () => {
    const res = await h.request('GET', '/no_such_thing');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'not_found', code: 'unknown_endpoint' });
    expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
  });

  it('rejects a body that is not JSON', async () => {
    const { key } = await h.signup();
    const res = await h.app.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  it('rejects a body of another media type with 415', async () => {
    const { key } = await h.signup();
    const res = await h.app.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key, 'content-type': 'text/plain' }, payload: 'name=x' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.type).toBe('unsupported_media');
  });

  it('names the unknown field', async () => {
    const { key } = await h.signup();
    const res = await h.request('POST', '/create_bot', { key, body: { name: 'x', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_parameter', param: 'colour' });
  });

  it('says only "internal error" and the request id on an unexpected failure', async () => {
    const app = Fastify();
    registerErrorHandling(app);
    app.get('/boom', async () => {
      throw new Error('secret detail: password=hunter2');
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toEqual({ type: 'internal', code: 'internal_error', message: 'internal error', request_id: expect.any(String) });
    expect(res.body).not.toContain('hunter2');
  });
});

describe('request ids', () => {
  it('echoes a well-formed caller request id and makes one otherwise', async () => {
    const mine = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-1234567890' } });
    expect(mine.headers['x-request-id']).toBe('trace-1234567890');
    const made = await h.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^req_[0-9a-f]{24}$/);
  });
});

describe('health', () => {
  it('reports liveness and readiness', async () => {
    expect((await h.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await h.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', migrations: 'ok', retrieval: 'full-text (EMBEDDING_MODEL not set)' });
  });
});

describe('audit and transactions', () => {
  it('writes the audit row with request id and IP in the same transaction as the change', async () => {
    const { key, accountId } = await h.signup();
    const ok = await h.request('POST', '/create_bot', { key, body: { name: 'Audited', handle: `aud-${Date.now()}` }, ip: '203.0.113.9' });
    const row = await h.database.db.selectFrom('audit_logs').selectAll().where('request_id', '=', String(ok.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ account_id: accountId, action: 'bot.created', object_id: ok.body.bot_id, ip: '203.0.113.9', actor_type: 'key' });

    // A change that fails part-way leaves neither the change nor its audit row behind.
    const dup = await h.request('POST', '/create_bot', { key, body: { name: 'Dup', handle: ok.body.handle } });
    expect(dup.status).toBe(409);
    const rows = await h.database.db.selectFrom('audit_logs').select('id').where('request_id', '=', String(dup.headers['x-request-id'])).execute();
    expect(rows).toHaveLength(0);
    const bots = await h.request('GET', '/get_bots', { key });
    expect(bots.body.data).toHaveLength(1);
  });
});

describe('OpenAPI and docs', () => {
  const endpoints = [
    'POST /create_account', 'POST /login', 'POST /create_api_key', 'GET /list_api_keys', 'POST /revoke_api_key',
    'GET /get_bots', 'GET /list_bots', 'GET /get_bots_with_names', 'GET /get_bot_ids', 'GET /get_bot_name', 'POST /create_bot',
    'POST /create_bot_before_login', 'POST /set_bot_name', 'POST /toggle_bot_response',
    'GET /get_prompt', 'GET /retrieve_prompt', 'GET /get_opening_message', 'GET /get_ui', 'GET /get_values', 'POST /edit_prompt',
    'POST /modify_prompt', 'POST /edit_opening_message', 'POST /edit_ui', 'POST /edit_values', 'POST /set_calendar_link',
    'POST /set_transfer_number', 'POST /retrain_response',
    // beyond the hosted list
    'POST /delete_bot', 'GET /get_prompt_versions', 'POST /restore_prompt_version',
  ];

  it('documents every endpoint with summary, parameters, responses and the error shape', async () => {
    const res = await h.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(endpoints).toHaveLength(30);
    for (const ep of endpoints) {
      const [method, path] = ep.split(' ') as [string, string];
      const op = doc.paths[path]?.[method.toLowerCase()];
      expect(op, ep).toBeDefined();
      expect(op.summary, ep).toBeTruthy();
      expect(op.responses['200'], ep).toBeDefined();
      expect(op.responses['400'], ep).toBeDefined();
      const errorSchema = JSON.stringify(op.responses['400']);
      expect(errorSchema, ep).toMatch(/Error/);
      if (method === 'POST') expect(op.requestBody, ep).toBeDefined();
    }
    expect(doc.paths['/get_bot_name'].get.parameters.map((p: { name: string }) => p.name)).toContain('bot_id');
    expect(doc.paths['/get_bots'].get.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    expect(doc.components.schemas.Error).toBeDefined();
  });

  it('serves the reference page and its script locally, with nothing from another host', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('js/scalar.js');
    expect(page.body).not.toMatch(/<script[^>]+src="https?:\/\//);
    const js = await h.app.inject({ method: 'GET', url: '/docs/js/scalar.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
  });
});

describe('rate limits', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ RATE_LIMITS: 'on', RATE_LIMIT_PER_KEY: '3', RATE_LIMIT_PER_IP: '2', RATE_LIMIT_PER_PUBLISHABLE_KEY: '10' });
  });
  afterAll(() => limited.close());

  it('limits each key per minute with RateLimit headers and Retry-After', async () => {
    const a = await limited.request('POST', '/create_account', { body: { email: `a${Date.now()}@example.com`, password: 'password123' }, ip: '198.51.100.1' });
    const b = await limited.request('POST', '/create_account', { body: { email: `b${Date.now()}@example.com`, password: 'password123' }, ip: '198.51.100.2' });
    const first = await limited.request('GET', '/list_bots', { key: a.body.api_key });
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    await limited.request('GET', '/list_bots', { key: a.body.api_key });
    await limited.request('GET', '/list_bots', { key: a.body.api_key });
    const over = await limited.request('GET', '/list_bots', { key: a.body.api_key });
    expect(over.status).toBe(429);
    expect(over.body.error.type).toBe('rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another key is counted on its own.
    expect((await limited.request('GET', '/list_bots', { key: b.body.api_key })).status).toBe(200);
  });

  it('limits a publishable conversation key per visitor (IP), not for the whole site at once', async () => {
    const a = await limited.request('POST', '/create_account', { body: { email: `c${Date.now()}@example.com`, password: 'password123' }, ip: '198.51.100.3' });
    const bot = await limited.request('POST', '/create_bot', { key: a.body.api_key, body: { name: 'Site bot' } });
    const conv = await limited.request('POST', '/create_api_key', { key: a.body.api_key, body: { name: 'site', scope: 'conversation', bot_ids: [bot.body.bot_id] } });
    const read = (ip: string) => limited.request('GET', '/get_ui', { query: { api_key: conv.body.key, bot_id: bot.body.bot_id }, ip });
    const first = await read('203.0.113.10');
    expect(first.headers['ratelimit-remaining']).toBe('2'); // the visitor's own budget
    for (let i = 0; i < 2; i++) expect((await read('203.0.113.10')).status).toBe(200);
    expect((await read('203.0.113.10')).status).toBe(429);
    expect((await read('203.0.113.11')).status).toBe(200);
    // An IPv6 visitor is its /64: rotating the last half of the address does not reset the budget.
    for (let i = 0; i < 3; i++) expect((await read(`2001:db8:1:2::${i + 1}`)).status).toBe(200);
    expect((await read('2001:db8:1:2:ffff::9')).status).toBe(429);
    expect((await read('2001:db8:1:3::1')).status).toBe(200);
    // And the key as a whole has a ceiling (RATE_LIMIT_PER_PUBLISHABLE_KEY = 10 here): 8 requests went
    // through so far (a visitor's refused ones never reach the key's count); two more, then even a
    // new visitor is refused.
    expect((await read('203.0.113.12')).status).toBe(200);
    expect((await read('203.0.113.13')).status).toBe(200);
    expect((await read('203.0.113.14')).status).toBe(429);
  });

  it('limits endpoints without a key per IP', async () => {
    const ip = '198.51.100.77';
    const body = () => ({ email: `ip${Math.random().toString(36).slice(2)}@example.com`, password: 'password123' });
    expect((await limited.request('POST', '/create_account', { body: body(), ip })).status).toBe(200);
    expect((await limited.request('POST', '/create_account', { body: body(), ip })).status).toBe(200);
    const third = await limited.request('POST', '/create_account', { body: body(), ip });
    expect(third.status).toBe(429);
    expect((await limited.request('POST', '/create_account', { body: body(), ip: '198.51.100.78' })).status).toBe(200);
  });
});

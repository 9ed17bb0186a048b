import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { startHarness, uniqueEmail, type Harness } from './support/harness.js';

/** Hostile or unlucky input, races and browser access: none of it may produce a 500 or a second write. */
let h: Harness;
let ipSeq = 0;
const nextIp = () => `192.0.2.${++ipSeq}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('values PostgreSQL cannot store', () => {
  it('refuses NUL characters with a 400 naming the parameter', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const body = await h.request('POST', '/edit_prompt', { key, body: { bot_id: bot.bot_id, prompt: 'x\u0000y' } });
    expect(body.status).toBe(400);
    expect(body.body.error.param).toBe('prompt');
    const nested = await h.request('POST', '/edit_ui', { key, body: { bot_id: bot.bot_id, ui: { title: 'a\u0000' } } });
    expect(nested.body.error.param).toBe('ui.title');
    const query = await h.request('GET', '/get_bot_ids', { key, query: { name: 'a\u0000b' } });
    expect(query.status).toBe(400);
    expect(query.body.error.param).toBe('name');
  });

  it('refuses numbers and cursors beyond the stored range with a 400', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const big = await h.request('POST', '/restore_prompt_version', { key, body: { bot_id: bot.bot_id, version: 3_000_000_000 } });
    expect(big.status).toBe(400);
    expect(big.body.error.param).toBe('version');
    for (const raw of ['99999999999', ' ', '-1']) {
      const cursor = Buffer.from(raw).toString('base64url');
      const res = await h.request('GET', '/get_prompt_versions', { key, query: { bot_id: bot.bot_id, cursor } });
      expect(res.status, raw).toBe(400);
      expect(res.body.error.param).toBe('cursor');
    }
  });
});

describe('races', () => {
  it('counts parallel login guesses against the limit', async () => {
    const { email } = await h.signup();
    const ip = nextIp();
    const guesses = await Promise.all(Array.from({ length: 12 }, () => h.request('POST', '/login', { body: { email, password: 'wrong password' }, ip })));
    const statuses = guesses.map((g) => g.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(h.config.LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - h.config.LOGIN_MAX_FAILURES);
  });

  it('gives a successful login its attempt back', async () => {
    const { email, password } = await h.signup();
    const ip = nextIp();
    for (let i = 0; i < h.config.LOGIN_MAX_FAILURES + 2; i++) {
      expect((await h.request('POST', '/login', { body: { email, password }, ip })).status).toBe(200);
    }
  });

  it('lets exactly one retry take over an abandoned idempotency claim', async () => {
    const { key, accountId } = await h.signup();
    // A claim left by a process that died mid-request, its lock already expired.
    const body = { name: 'Once' };
    const first = await h.request('POST', '/create_bot', { key, body, headers: { 'idempotency-key': 'abandoned-1' } });
    expect(first.status).toBe(200);
    await h.database.db
      .updateTable('idempotency_keys')
      .set({ status_code: null, response_body: null, locked_until: new Date(Date.now() - 1000) })
      .where('scope', '=', accountId)
      .where('key', '=', 'abandoned-1')
      .execute();
    const retries = await Promise.all(Array.from({ length: 8 }, () => h.request('POST', '/create_bot', { key, body, headers: { 'idempotency-key': 'abandoned-1' } })));
    expect(retries.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(retries.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const bots = await h.request('GET', '/get_bots', { key });
    expect(bots.body.data).toHaveLength(2); // the original and the one re-run
  });
});

describe('keys', () => {
  it('refuses an admin key sent as a URL parameter', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const res = await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: key } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('key_in_parameter');
  });

  it('reads api_key even when the page sends its own non-Bearer Authorization header', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const pk = (await h.request('POST', '/create_api_key', { key, body: { name: 'w', scope: 'conversation' } })).body.key;
    const res = await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: pk }, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(200);
  });

  it('stops a trial key the moment its trial expires', async () => {
    const trial = (await h.request('POST', '/create_bot_before_login', { body: { name: 'Trial' }, ip: nextIp() })).body;
    expect((await h.request('GET', '/get_ui', { key: trial.conversation_key, query: { bot_id: trial.bot_id } })).status).toBe(200);
    const { account_id } = await h.database.db.selectFrom('bots').select('account_id').where('id', '=', trial.bot_id).executeTakeFirstOrThrow();
    // As if 24 hours had passed: the trial and its key share one expiry time.
    const past = new Date(Date.now() - 1000);
    await h.database.db.updateTable('accounts').set({ expires_at: past }).where('id', '=', account_id).execute();
    await h.database.db.updateTable('api_keys').set({ expires_at: past }).where('account_id', '=', account_id).execute();
    const res = await h.request('GET', '/get_ui', { key: trial.conversation_key, query: { bot_id: trial.bot_id } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('expired_api_key');
  });

  it('keeps a claimed bot\'s history and key in its new account', async () => {
    const trial = (await h.request('POST', '/create_bot_before_login', { body: { name: 'Keep me' }, ip: nextIp() })).body;
    const account = (await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: 'password123', claim_token: trial.claim_token } })).body;
    const actions = (await h.database.db.selectFrom('audit_logs').select('action').where('account_id', '=', account.account_id).execute()).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['bot.created', 'api_key.created', 'account.created', 'bot.claimed']));
    // The trial key no longer expires with the trial.
    const keys = await h.database.db.selectFrom('api_keys').select(['scope', 'expires_at']).where('account_id', '=', account.account_id).execute();
    expect(keys.find((k) => k.scope === 'conversation')?.expires_at).toBeNull();
  });
});

describe('bad keys are rate limited per IP', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ RATE_LIMITS: 'on', RATE_LIMIT_PER_IP: '3' });
  });
  afterAll(() => limited.close());

  it('answers key guessing with 429 after the per-IP limit', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await limited.request('GET', '/get_bots', { key: `sk_${'x'.repeat(40)}${i}`, ip })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('toggle_bot_response', () => {
  it('refuses a resume time together with enabled: true', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: true, resume_after_minutes: 5 } });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('resume_after_minutes');
  });
});

describe('CORS for browser callers', () => {
  it('answers preflights for conversation endpoints only', async () => {
    const ok = await h.app.inject({ method: 'OPTIONS', url: '/get_ui', headers: { origin: 'https://fan.example', 'access-control-request-method': 'GET' } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://fan.example');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('api-key');
    const admin = await h.app.inject({ method: 'OPTIONS', url: '/get_bots', headers: { origin: 'https://fan.example', 'access-control-request-method': 'GET' } });
    expect(admin.statusCode).toBe(404);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets the browser read a conversation endpoint\'s answer, and holds the key to its origins', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const pk = (await h.request('POST', '/create_api_key', { key, body: { name: 'w', scope: 'conversation', allowed_origins: ['https://fan.example'] } })).body.key;
    const ok = await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: pk }, headers: { origin: 'https://fan.example' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://fan.example');
    const evil = await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: pk }, headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    const admin = await h.request('GET', '/get_bots', { key, headers: { origin: 'https://fan.example' } });
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe.skipIf(inject('postgresUrl') !== null)('embedded database', () => {
  it('refuses a data directory another live process holds, and takes over a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    writeFileSync(join(dir, 'pgdata.lock'), '1'); // pid 1 is always alive
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'pgdata.lock'), '2147483646'); // no such process
    const db = await openDatabase({ dataDir: dir });
    await db.close();
  }, 60_000);
});

describe('idempotent writes', () => {
  it('record their response in the same transaction as the change', async () => {
    const { key, accountId } = await h.signup();
    const { authenticateKey } = await import('../src/core/auth/keys.js');
    const { createBot } = await import('../src/features/bots/bots-service.js');
    const auth = await authenticateKey(h.database.db, key);
    const claim = async (k: string) =>
      h.database.db.insertInto('idempotency_keys').values({ scope: accountId, key: k, method: 'POST', path: '/create_bot', request_hash: 'h', locked_until: new Date(Date.now() + 60_000) }).execute();
    const ctx = (k: string) => ({ ...h.server.deps, accountId, actor: { type: 'key' as const, id: auth.id }, key: auth, requestId: null, ip: null, idempotency: { scope: accountId, key: k } });

    // No HTTP layer here: if the process died right after this call, the replay would still be there.
    await claim('in-trx-1');
    const bot = await createBot({ ctx: ctx('in-trx-1'), input: { name: 'Recorded', handle: `rec-${Date.now()}` } });
    const row = await h.database.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', accountId).where('key', '=', 'in-trx-1').executeTakeFirstOrThrow();
    expect(row.status_code).toBe(200);
    expect(JSON.parse(row.response_body!).bot_id).toBe(bot.bot_id);

    // A change that fails records nothing, so a retry runs it again.
    await claim('in-trx-2');
    await expect(createBot({ ctx: ctx('in-trx-2'), input: { name: 'Dup', handle: bot.handle! } })).rejects.toMatchObject({ code: 'handle_taken' });
    const open = await h.database.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', accountId).where('key', '=', 'in-trx-2').executeTakeFirstOrThrow();
    expect(open.status_code).toBeNull();
  });
});

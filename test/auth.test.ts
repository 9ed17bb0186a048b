import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAccountPassword } from '../src/features/auth/password-reset.js';
import { startHarness, uniqueEmail, type Harness, type TestResponse } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const PASSWORD = 'correct horse battery';
/** Fields a listed key carries: never `key` (the secret) nor `key_hash`. */
const KEY_VIEW_FIELDS = ['allowed_origins', 'bot_ids', 'created_at', 'key_id', 'last_used_at', 'name', 'prefix', 'scope'];
/** A well-formed id that no row has. */
const UNKNOWN_KEY_ID = 'key_00000000000000000000000000';

let ipCounter = 0;
const ipBase = `10.${randomInt(256)}.${randomInt(256)}`;
/** A distinct client address, so per-IP limits (trial bots, failed logins) of one test never touch another. */
const freshIp = () => `${ipBase}.${++ipCounter}`;

function expectError(res: TestResponse, status: number, type: string, code?: string, param?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.type).toBe(type);
  if (code !== undefined) expect(res.body.error.code).toBe(code);
  if (param !== undefined) expect(res.body.error.param).toBe(param);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
}

async function createKey(key: string, body: Record<string, unknown>): Promise<any> {
  const res = await h.request('POST', '/create_api_key', { key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const createConversationKey = (key: string, body: Record<string, unknown> = {}) =>
  createKey(key, { name: 'Widget', scope: 'conversation', ...body });

/** The id of the key a caller holds: the signup key is the account's only key right after signup. */
async function keyIdOf(key: string): Promise<string> {
  const row = await h.database.db.selectFrom('api_keys').select('id').where('prefix', '=', key.slice(0, 12)).executeTakeFirstOrThrow();
  return row.id;
}

const keyRow = (keyId: string) => h.database.db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirstOrThrow();

async function login(email: string, password: string, ip?: string) {
  return h.request('POST', '/login', { body: { email, password }, ...(ip ? { ip } : {}) });
}

async function listKeyIds(key: string): Promise<string[]> {
  const res = await h.request('GET', '/list_api_keys', { key });
  expect(res.status).toBe(200);
  return res.body.data.map((k: any) => k.key_id);
}

// ---------------------------------------------------------------------------------------------
// Authentication of admin endpoints with a key
// ---------------------------------------------------------------------------------------------

describe('API key authentication', () => {
  it('accepts the key in the api-key header and as Authorization: Bearer', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);

    const viaHeader = await h.request('GET', '/get_bots', { key });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.data.map((b: any) => b.bot_id)).toEqual([bot.bot_id]);

    const viaBearer = await h.request('GET', '/get_bots', { bearer: key });
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body.data.map((b: any) => b.bot_id)).toEqual([bot.bot_id]);
  });

  it('rejects a malformed Authorization header with 401', async () => {
    const { key } = await h.signup();
    for (const authorization of [`Basic ${key}`, 'Bearer', `Bearer ${key} extra`, key]) {
      const res = await h.request('GET', '/get_bots', { headers: { authorization } });
      expectError(res, 401, 'unauthenticated');
      // Credentials were sent, just not in a usable form: not the same as sending none.
      expect(res.body.error.code).not.toBe('missing_api_key');
    }
  });

  it('rejects an unknown or malformed key with 401 invalid_api_key', async () => {
    await h.signup();
    expectError(await h.request('GET', '/get_bots', { key: 'sk_' + 'x'.repeat(43) }), 401, 'unauthenticated', 'invalid_api_key');
    expectError(await h.request('GET', '/get_bots', { key: 'not-a-key' }), 401, 'unauthenticated', 'invalid_api_key');
  });
});

// ---------------------------------------------------------------------------------------------
// POST /create_account
// ---------------------------------------------------------------------------------------------

describe('POST /create_account', () => {
  it('creates an account with a first admin key that works at once', async () => {
    const email = uniqueEmail();
    const res = await h.request('POST', '/create_account', { body: { email, password: PASSWORD, name: 'Ada' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      account_id: expect.stringMatching(/^acct_[0-9a-z]{26}$/),
      key_id: expect.stringMatching(/^key_[0-9a-z]{26}$/),
      api_key: expect.stringMatching(/^sk_/),
      claimed_bot_id: null,
    });

    const bots = await h.request('GET', '/get_bots', { key: res.body.api_key });
    expect(bots.status).toBe(200);
    expect(bots.body).toEqual({ data: [], next_cursor: null });

    const account = await h.database.db.selectFrom('accounts').selectAll().where('id', '=', res.body.account_id).executeTakeFirstOrThrow();
    expect(account.email_normalized).toBe(email.toLowerCase());
    expect(account.name).toBe('Ada');
    expect(account.password_hash).not.toContain(PASSWORD);

    const audit = await h.database.db.selectFrom('audit_logs').selectAll().where('account_id', '=', res.body.account_id).where('action', '=', 'account.created').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.request_id).toBe(res.headers['x-request-id']);
  });

  it('stores the key hashed, with its first 12 characters as the visible prefix, and sets last_used_at on use', async () => {
    const res = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD } });
    expect(res.status).toBe(200);
    const secret: string = res.body.api_key;

    const row = await keyRow(res.body.key_id);
    expect(row.account_id).toBe(res.body.account_id);
    expect(row.scope).toBe('admin');
    expect(row.prefix).toBe(secret.slice(0, 12));
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const [column, value] of Object.entries(row)) {
      expect(JSON.stringify(value) ?? '', `column ${column}`).not.toContain(secret);
      expect(JSON.stringify(value) ?? '', `column ${column}`).not.toContain(secret.slice(12));
    }
    expect(row.last_used_at).toBeNull();

    const before = Date.now();
    expect((await h.request('GET', '/get_bots', { key: secret })).status).toBe(200);
    const used = await keyRow(res.body.key_id);
    expect(used.last_used_at).toBeInstanceOf(Date);
    expect(used.last_used_at!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(used.last_used_at!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it.each(['email', 'password'])('rejects a request without %s (400 missing_parameter)', async (param) => {
    const body: Record<string, unknown> = { email: uniqueEmail(), password: PASSWORD };
    delete body[param];
    const res = await h.request('POST', '/create_account', { body });
    expectError(res, 400, 'invalid_request', 'missing_parameter', param);
  });

  it.each([
    ['email', { email: 'not-an-email' }],
    ['password', { password: 'short' }],
    ['name', { name: '' }],
    ['claim_token', { claim_token: 'x' }],
  ])('rejects a malformed %s (400 naming it)', async (param, override) => {
    const res = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD, ...override } });
    expectError(res, 400, 'invalid_request', 'invalid_parameter', param);
  });

  it('rejects an unknown field (400 unknown_parameter)', async () => {
    const res = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD, plan: 'pro' } });
    expectError(res, 400, 'invalid_request', 'unknown_parameter', 'plan');
  });

  it('refuses an email already taken, whatever its case (409 email_taken)', async () => {
    const { email } = await h.signup();
    const again = await h.request('POST', '/create_account', { body: { email, password: PASSWORD } });
    expectError(again, 409, 'conflict', 'email_taken', 'email');

    const upper = await h.request('POST', '/create_account', { body: { email: email.toUpperCase(), password: 'another password' } });
    expectError(upper, 409, 'conflict', 'email_taken', 'email');

    const accounts = await h.database.db.selectFrom('accounts').select('id').where('email_normalized', '=', email.toLowerCase()).execute();
    expect(accounts).toHaveLength(1);
  });

  it('lets exactly one of two simultaneous sign-ups with one email through', async () => {
    const email = uniqueEmail();
    const results = await Promise.all([
      h.request('POST', '/create_account', { body: { email, password: PASSWORD } }),
      h.request('POST', '/create_account', { body: { email: email.toUpperCase(), password: PASSWORD } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expectError(results.find((r) => r.status === 409)!, 409, 'conflict', 'email_taken', 'email');
    const accounts = await h.database.db.selectFrom('accounts').select('id').where('email_normalized', '=', email.toLowerCase()).execute();
    expect(accounts).toHaveLength(1);
  });

  describe('with a claim_token from /create_bot_before_login', () => {
    async function trialBot() {
      const res = await h.request('POST', '/create_bot_before_login', { body: { name: 'Trial bot' }, ip: freshIp() });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { bot_id: string; claim_token: string; conversation_key: string };
    }

    it('moves the trial bot and its conversation key into the new account', async () => {
      const trial = await trialBot();
      const res = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD, claim_token: trial.claim_token } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.claimed_bot_id).toBe(trial.bot_id);

      const bots = await h.request('GET', '/get_bots', { key: res.body.api_key });
      expect(bots.status).toBe(200);
      expect(bots.body.data.map((b: any) => b.bot_id)).toEqual([trial.bot_id]);

      const ui = await h.request('GET', '/get_ui', { key: trial.conversation_key, query: { bot_id: trial.bot_id } });
      expect(ui.status, JSON.stringify(ui.body)).toBe(200);
      expect(ui.body.bot_id).toBe(trial.bot_id);

      const bot = await h.database.db.selectFrom('bots').select(['account_id', 'claim_token_hash']).where('id', '=', trial.bot_id).executeTakeFirstOrThrow();
      expect(bot.account_id).toBe(res.body.account_id);
      expect(bot.claim_token_hash).toBeNull();
    });

    it('refuses a claim token already used, and creates no account then', async () => {
      const trial = await trialBot();
      const first = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD, claim_token: trial.claim_token } });
      expect(first.status).toBe(200);

      const email = uniqueEmail();
      const second = await h.request('POST', '/create_account', { body: { email, password: PASSWORD, claim_token: trial.claim_token } });
      expectError(second, 400, 'invalid_request', undefined, 'claim_token');

      // The failed sign-up left nothing behind: the email is still free.
      const accounts = await h.database.db.selectFrom('accounts').select('id').where('email_normalized', '=', email).execute();
      expect(accounts).toHaveLength(0);
      const retry = await h.request('POST', '/create_account', { body: { email, password: PASSWORD } });
      expect(retry.status).toBe(200);
      expect(retry.body.claimed_bot_id).toBeNull();

      // The bot stays with the first account.
      const bots = await h.request('GET', '/get_bots', { key: first.body.api_key });
      expect(bots.body.data.map((b: any) => b.bot_id)).toEqual([trial.bot_id]);
    });

    it('refuses an unknown claim token (400 claim_token)', async () => {
      const res = await h.request('POST', '/create_account', { body: { email: uniqueEmail(), password: PASSWORD, claim_token: 'claim_' + 'z'.repeat(43) } });
      expectError(res, 400, 'invalid_request', undefined, 'claim_token');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// POST /login
// ---------------------------------------------------------------------------------------------

describe('POST /login', () => {
  it('returns a short-lived session token usable as a Bearer key', async () => {
    const { email, password, accountId } = await h.signup();
    const before = Date.now();
    const res = await login(email, password, freshIp());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      account_id: accountId,
      token: expect.stringMatching(/^ss_/),
      key_id: expect.stringMatching(/^key_/),
      expires_at: expect.any(String),
    });
    const expiresAt = Date.parse(res.body.expires_at);
    const ttl = h.config.SESSION_TTL_MINUTES * 60_000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + ttl - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + ttl + 1000);

    const row = await keyRow(res.body.key_id);
    expect(row.kind).toBe('session');
    expect(row.key_hash).not.toBe(res.body.token);
    expect(JSON.stringify(row)).not.toContain(res.body.token);

    const bots = await h.request('GET', '/get_bots', { bearer: res.body.token });
    expect(bots.status).toBe(200);
    const keys = await h.request('GET', '/list_api_keys', { bearer: res.body.token });
    expect(keys.status).toBe(200);
  });

  it('refuses a wrong password and an unknown email alike (401 invalid_credentials)', async () => {
    const { email } = await h.signup();
    const ip = freshIp();
    const wrong = await login(email, 'wrong password!', ip);
    expectError(wrong, 401, 'unauthenticated', 'invalid_credentials');
    expect(wrong.body.error).not.toHaveProperty('param');

    const unknown = await login(uniqueEmail(), PASSWORD, ip);
    expectError(unknown, 401, 'unauthenticated', 'invalid_credentials');
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it.each(['email', 'password'])('rejects a request without %s (400 missing_parameter)', async (param) => {
    const body: Record<string, unknown> = { email: uniqueEmail(), password: PASSWORD };
    delete body[param];
    const res = await h.request('POST', '/login', { body, ip: freshIp() });
    expectError(res, 400, 'invalid_request', 'missing_parameter', param);
  });

  it('rejects a malformed email and an unknown field', async () => {
    expectError(await h.request('POST', '/login', { body: { email: 'nope', password: PASSWORD }, ip: freshIp() }), 400, 'invalid_request', 'invalid_parameter', 'email');
    expectError(
      await h.request('POST', '/login', { body: { email: uniqueEmail(), password: PASSWORD, remember: true }, ip: freshIp() }),
      400,
      'invalid_request',
      'unknown_parameter',
      'remember',
    );
  });

  it('throttles after LOGIN_MAX_FAILURES failures: even the right password gets 429 with Retry-After', async () => {
    const { email, password } = await h.signup();
    const other = await h.signup();
    const ip = freshIp();
    const max = h.config.LOGIN_MAX_FAILURES;
    expect(max).toBeGreaterThan(0);

    for (let i = 0; i < max; i++) {
      expectError(await login(email, 'wrong password!', ip), 401, 'unauthenticated', 'invalid_credentials');
    }
    const blocked = await login(email, password, ip);
    expectError(blocked, 429, 'rate_limited', 'rate_limited');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    // Differently cased, it is the same account and still throttled.
    expect((await login(email.toUpperCase(), password, freshIp())).status).toBe(429);
    // Another account is not locked out by these failures.
    expect((await login(other.email, other.password, ip)).status).toBe(200);
  });

  it('refuses an expired session (401 expired_api_key)', async () => {
    const { email, password } = await h.signup();
    const res = await login(email, password, freshIp());
    expect(res.status).toBe(200);
    expect((await h.request('GET', '/get_bots', { bearer: res.body.token })).status).toBe(200);

    await h.database.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', res.body.key_id).execute();
    expectError(await h.request('GET', '/get_bots', { bearer: res.body.token }), 401, 'unauthenticated', 'expired_api_key');
  });
});

// ---------------------------------------------------------------------------------------------
// POST /create_api_key
// ---------------------------------------------------------------------------------------------

describe('POST /create_api_key', () => {
  it('creates an admin key (sk_) that works on admin endpoints', async () => {
    const { key } = await h.signup();
    const res = await h.request('POST', '/create_api_key', { key, body: { name: 'CI', scope: 'admin' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      key_id: expect.stringMatching(/^key_[0-9a-z]{26}$/),
      key: expect.stringMatching(/^sk_/),
      prefix: res.body.key.slice(0, 12),
      name: 'CI',
      scope: 'admin',
      bot_ids: null,
      allowed_origins: null,
      created_at: expect.any(String),
      last_used_at: null,
    });
    expect(Number.isNaN(Date.parse(res.body.created_at))).toBe(false);

    const row = await keyRow(res.body.key_id);
    expect(row.prefix).toBe(res.body.key.slice(0, 12));
    expect(JSON.stringify(row)).not.toContain(res.body.key);
    expect(row.last_used_at).toBeNull();

    expect((await h.request('GET', '/get_bots', { key: res.body.key })).status).toBe(200);
    expect((await h.request('GET', '/get_bots', { bearer: res.body.key })).status).toBe(200);
    expect((await keyRow(res.body.key_id)).last_used_at).toBeInstanceOf(Date);
  });

  it('creates a conversation key (pk_) that is refused on admin endpoints (403 forbidden)', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const conv = await createConversationKey(key, { bot_ids: [bot.bot_id] });
    expect(conv.key).toMatch(/^pk_/);
    expect(conv.scope).toBe('conversation');
    expect(conv.bot_ids).toEqual([bot.bot_id]);
    expect(conv.prefix).toBe(conv.key.slice(0, 12));

    expectError(await h.request('GET', '/get_bots', { key: conv.key }), 403, 'forbidden');
    expectError(await h.request('GET', '/list_api_keys', { key: conv.key }), 403, 'forbidden');
    expectError(await h.request('POST', '/create_api_key', { key: conv.key, body: { name: 'escalate', scope: 'admin' } }), 403, 'forbidden');
  });

  it('limits a conversation key to its bots', async () => {
    const { key } = await h.signup();
    const botA = await h.createBot(key, { name: 'A' });
    const botB = await h.createBot(key, { name: 'B' });
    const conv = await createConversationKey(key, { bot_ids: [botA.bot_id] });

    const forB = await h.request('GET', '/get_ui', { key: conv.key, query: { bot_id: botB.bot_id } });
    expectError(forB, 403, 'forbidden');

    const forA = await h.request('GET', '/get_ui', { key: conv.key, query: { bot_id: botA.bot_id } });
    expect(forA.status, JSON.stringify(forA.body)).toBe(200);
    expect(forA.body.bot_id).toBe(botA.bot_id);
  });

  it('lets the widget name the bot by handle as creator on its reads, held to the key\'s bots', async () => {
    const { key } = await h.signup();
    const suffix = Math.random().toString(36).slice(2, 8);
    const botA = await h.createBot(key, { name: 'A', handle: `widget-a-${suffix}`, ui: { title: 'Alpha' }, opening_message: 'Hello from A' });
    const botB = await h.createBot(key, { name: 'B', handle: `widget-b-${suffix}` });
    const conv = await createConversationKey(key, { bot_ids: [botA.bot_id] });
    const byHandle = (path: string, creator: string) => h.request('GET', path, { query: { api_key: conv.key, creator } });

    expect((await byHandle('/get_ui', botA.handle)).body).toMatchObject({ bot_id: botA.bot_id, ui: { title: 'Alpha' } });
    expect((await byHandle('/get_opening_message', botA.handle)).body).toEqual({ bot_id: botA.bot_id, opening_message: 'Hello from A' });
    expect((await byHandle('/get_policy', botA.handle)).body).toMatchObject({ bot_id: botA.bot_id, policy: { age_gate: false } });
    expect((await byHandle('/get_ui', botB.handle)).status).toBe(403);
    const both = await h.request('GET', '/get_ui', { query: { api_key: conv.key, creator: botA.handle, bot_id: botA.bot_id } });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/bot_id or creator/);
    expect((await h.request('GET', '/get_ui', { query: { api_key: conv.key } })).status).toBe(400);
  });

  it('limits a conversation key to its allowed origins', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const conv = await createConversationKey(key, { bot_ids: [bot.bot_id], allowed_origins: ['https://fan.example'] });
    expect(conv.allowed_origins).toEqual(['https://fan.example']);
    const query = { bot_id: bot.bot_id };

    const evil = await h.request('GET', '/get_ui', { key: conv.key, query, headers: { origin: 'https://evil.example' } });
    expectError(evil, 403, 'forbidden', 'origin_not_allowed');

    const fan = await h.request('GET', '/get_ui', { key: conv.key, query, headers: { origin: 'https://fan.example' } });
    expect(fan.status, JSON.stringify(fan.body)).toBe(200);
  });

  it('accepts a conversation key as the api_key query parameter', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const conv = await createConversationKey(key, { bot_ids: [bot.bot_id] });

    const res = await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: conv.key } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.bot_id).toBe(bot.bot_id);

    expectError(await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id } }), 401, 'unauthenticated', 'missing_api_key');
    // Admin endpoints take the key in headers only, never as a parameter.
    expectError(await h.request('GET', '/get_bots', { query: { api_key: key } }), 401, 'unauthenticated', 'missing_api_key');
  });

  it("refuses another account's bot in bot_ids (404)", async () => {
    const mine = await h.signup();
    const theirs = await h.signup();
    const theirBot = await h.createBot(theirs.key);
    const res = await h.request('POST', '/create_api_key', { key: mine.key, body: { name: 'x', scope: 'conversation', bot_ids: [theirBot.bot_id] } });
    expectError(res, 404, 'not_found', undefined, 'bot_ids');
    expect(await listKeyIds(mine.key)).toHaveLength(1);
  });

  it('refuses bot_ids and allowed_origins on an admin key (400 naming the param)', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    expectError(await h.request('POST', '/create_api_key', { key, body: { name: 'x', scope: 'admin', bot_ids: [bot.bot_id] } }), 400, 'invalid_request', undefined, 'bot_ids');
    expectError(
      await h.request('POST', '/create_api_key', { key, body: { name: 'x', scope: 'admin', allowed_origins: ['https://fan.example'] } }),
      400,
      'invalid_request',
      undefined,
      'allowed_origins',
    );
    expect(await listKeyIds(key)).toHaveLength(1);
  });

  it.each(['name', 'scope'])('rejects a request without %s (400 missing_parameter)', async (param) => {
    const { key } = await h.signup();
    const body: Record<string, unknown> = { name: 'x', scope: 'admin' };
    delete body[param];
    expectError(await h.request('POST', '/create_api_key', { key, body }), 400, 'invalid_request', 'missing_parameter', param);
  });

  it('rejects malformed values, naming the param', async () => {
    const { key } = await h.signup();
    const post = (body: Record<string, unknown>) => h.request('POST', '/create_api_key', { key, body });

    expectError(await post({ name: 'x', scope: 'root' }), 400, 'invalid_request', 'invalid_parameter', 'scope');
    expectError(await post({ name: '', scope: 'admin' }), 400, 'invalid_request', 'invalid_parameter', 'name');

    const badOrigin = await post({ name: 'x', scope: 'conversation', allowed_origins: ['https://fan.example/path'] });
    expectError(badOrigin, 400, 'invalid_request', 'invalid_parameter');
    expect(badOrigin.body.error.param).toMatch(/^allowed_origins(\.0)?$/);

    const badBot = await post({ name: 'x', scope: 'conversation', bot_ids: ['not-a-bot'] });
    expectError(badBot, 400, 'invalid_request', 'invalid_parameter');
    expect(badBot.body.error.param).toMatch(/^bot_ids(\.0)?$/);

    expectError(await post({ name: 'x', scope: 'admin', admin: true }), 400, 'invalid_request', 'unknown_parameter', 'admin');
    expect(await listKeyIds(key)).toHaveLength(1);
  });

  it('writes an audit row naming the calling key and the request id', async () => {
    const { key, accountId } = await h.signup();
    const callerId = await keyIdOf(key);
    const res = await h.request('POST', '/create_api_key', { key, body: { name: 'Audited', scope: 'admin' } });
    expect(res.status).toBe(200);
    const requestId = res.headers['x-request-id'];
    expect(typeof requestId).toBe('string');

    const rows = await h.database.db.selectFrom('audit_logs').selectAll().where('action', '=', 'api_key.created').where('object_id', '=', res.body.key_id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ account_id: accountId, actor_type: 'key', actor_id: callerId, object_type: 'api_key', request_id: requestId });
    expect(JSON.stringify(rows[0])).not.toContain(res.body.key);
  });

  it('requires a key (401 missing_api_key)', async () => {
    expectError(await h.request('POST', '/create_api_key', { body: { name: 'x', scope: 'admin' } }), 401, 'unauthenticated', 'missing_api_key');
  });
});

// ---------------------------------------------------------------------------------------------
// GET /list_api_keys
// ---------------------------------------------------------------------------------------------

describe('GET /list_api_keys', () => {
  it('lists the keys without their secrets', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const conv = await createConversationKey(key, { name: 'Site widget', bot_ids: [bot.bot_id], allowed_origins: ['https://fan.example'] });

    const res = await h.request('GET', '/list_api_keys', { key });
    expect(res.status).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.data).toHaveLength(2);
    for (const item of res.body.data) expect(Object.keys(item).sort()).toEqual(KEY_VIEW_FIELDS);

    const listed = res.body.data.find((k: any) => k.key_id === conv.key_id);
    expect(listed).toEqual({
      key_id: conv.key_id,
      name: 'Site widget',
      prefix: conv.key.slice(0, 12),
      scope: 'conversation',
      bot_ids: [bot.bot_id],
      allowed_origins: ['https://fan.example'],
      created_at: conv.created_at,
      last_used_at: null,
    });
    const signupKey = res.body.data.find((k: any) => k.key_id !== conv.key_id);
    expect(signupKey.scope).toBe('admin');
    expect(signupKey.prefix).toBe(key.slice(0, 12));
    expect(signupKey.last_used_at).not.toBeNull(); // it was just used

    const text = JSON.stringify(res.body);
    const hashes = await h.database.db.selectFrom('api_keys').select('key_hash').where('id', 'in', [conv.key_id, signupKey.key_id]).execute();
    for (const secret of [key, conv.key, key.slice(12), conv.key.slice(12), ...hashes.map((r) => r.key_hash)]) expect(text).not.toContain(secret);
  });

  it('leaves out revoked keys, login sessions and other accounts', async () => {
    const { key, email, password } = await h.signup();
    const other = await h.signup();
    const signupKeyId = await keyIdOf(key);
    const session = await login(email, password, freshIp());
    expect(session.status).toBe(200);
    const kept = await createKey(key, { name: 'kept', scope: 'admin' });
    const revoked = await createKey(key, { name: 'revoked', scope: 'admin' });
    expect((await h.request('POST', '/revoke_api_key', { key, body: { key_id: revoked.key_id } })).status).toBe(200);

    const ids = await listKeyIds(key);
    expect(ids.sort()).toEqual([signupKeyId, kept.key_id].sort());
    expect(ids).not.toContain(session.body.key_id);
    expect(ids).not.toContain(revoked.key_id);
    expect(ids).not.toContain(await keyIdOf(other.key));
  });

  it('pages with limit and next_cursor', async () => {
    const { key } = await h.signup();
    const created = [];
    for (const name of ['one', 'two', 'three']) created.push(await createKey(key, { name, scope: 'admin' }));
    const all = [await keyIdOf(key), ...created.map((k) => k.key_id)];

    const first = await h.request('GET', '/list_api_keys', { key, query: { limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(typeof first.body.next_cursor).toBe('string');

    const second = await h.request('GET', '/list_api_keys', { key, query: { limit: 2, cursor: first.body.next_cursor } });
    expect(second.status).toBe(200);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();

    const paged = [...first.body.data, ...second.body.data].map((k: any) => k.key_id);
    expect(new Set(paged).size).toBe(4);
    expect(paged.sort()).toEqual(all.sort());
  });

  it('rejects a bad limit, a bad cursor and an unknown parameter', async () => {
    const { key } = await h.signup();
    expectError(await h.request('GET', '/list_api_keys', { key, query: { limit: 0 } }), 400, 'invalid_request', 'invalid_parameter', 'limit');
    expectError(await h.request('GET', '/list_api_keys', { key, query: { limit: 201 } }), 400, 'invalid_request', 'invalid_parameter', 'limit');
    expectError(await h.request('GET', '/list_api_keys', { key, query: { cursor: 'garbage!' } }), 400, 'invalid_request', undefined, 'cursor');
    expectError(await h.request('GET', '/list_api_keys', { key, query: { scope: 'admin' } }), 400, 'invalid_request', 'unknown_parameter', 'scope');
  });

  it('requires a key (401 missing_api_key)', async () => {
    expectError(await h.request('GET', '/list_api_keys'), 401, 'unauthenticated', 'missing_api_key');
  });
});

// ---------------------------------------------------------------------------------------------
// POST /revoke_api_key
// ---------------------------------------------------------------------------------------------

describe('POST /revoke_api_key', () => {
  it('stops the key at once (401 revoked_api_key) and audits it', async () => {
    const { key, accountId } = await h.signup();
    const victim = await createKey(key, { name: 'leaked', scope: 'admin' });
    expect((await h.request('GET', '/get_bots', { key: victim.key })).status).toBe(200);

    const res = await h.request('POST', '/revoke_api_key', { key, body: { key_id: victim.key_id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ key_id: victim.key_id, revoked_at: expect.any(String) });
    expect(Number.isNaN(Date.parse(res.body.revoked_at))).toBe(false);

    expectError(await h.request('GET', '/get_bots', { key: victim.key }), 401, 'unauthenticated', 'revoked_api_key');
    expectError(await h.request('GET', '/get_bots', { bearer: victim.key }), 401, 'unauthenticated', 'revoked_api_key');
    // The revoking key is unaffected.
    expect((await h.request('GET', '/get_bots', { key })).status).toBe(200);

    const audit = await h.database.db.selectFrom('audit_logs').selectAll().where('action', '=', 'api_key.revoked').where('object_id', '=', victim.key_id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ account_id: accountId, actor_id: await keyIdOf(key), request_id: res.headers['x-request-id'] });

    // Revoking it again: there is no live key with that id any more.
    expectError(await h.request('POST', '/revoke_api_key', { key, body: { key_id: victim.key_id } }), 404, 'not_found', undefined, 'key_id');
  });

  it('revokes a conversation key and a login session too', async () => {
    const { key, email, password } = await h.signup();
    const bot = await h.createBot(key);
    const conv = await createConversationKey(key, { bot_ids: [bot.bot_id] });
    const session = await login(email, password, freshIp());
    expect(session.status).toBe(200);

    expect((await h.request('POST', '/revoke_api_key', { key, body: { key_id: conv.key_id } })).status).toBe(200);
    expectError(await h.request('GET', '/get_ui', { query: { bot_id: bot.bot_id, api_key: conv.key } }), 401, 'unauthenticated', 'revoked_api_key');

    expect((await h.request('POST', '/revoke_api_key', { key, body: { key_id: session.body.key_id } })).status).toBe(200);
    expectError(await h.request('GET', '/get_bots', { bearer: session.body.token }), 401, 'unauthenticated', 'revoked_api_key');
  });

  it("answers 404 for another account's key and leaves it working", async () => {
    const mine = await h.signup();
    const theirs = await h.signup();
    const theirKeyId = await keyIdOf(theirs.key);

    const res = await h.request('POST', '/revoke_api_key', { key: mine.key, body: { key_id: theirKeyId } });
    expectError(res, 404, 'not_found', undefined, 'key_id');
    expect((await keyRow(theirKeyId)).revoked_at).toBeNull();
    expect((await h.request('GET', '/get_bots', { key: theirs.key })).status).toBe(200);
  });

  it('answers 404 for an unknown key id', async () => {
    const { key } = await h.signup();
    expectError(await h.request('POST', '/revoke_api_key', { key, body: { key_id: UNKNOWN_KEY_ID } }), 404, 'not_found', undefined, 'key_id');
  });

  it('rejects a missing or malformed key_id and unknown fields', async () => {
    const { key } = await h.signup();
    expectError(await h.request('POST', '/revoke_api_key', { key, body: {} }), 400, 'invalid_request', 'missing_parameter', 'key_id');
    expectError(await h.request('POST', '/revoke_api_key', { key, body: { key_id: 'bot_00000000000000000000000000' } }), 400, 'invalid_request', 'invalid_parameter', 'key_id');
    expectError(await h.request('POST', '/revoke_api_key', { key, body: { key_id: UNKNOWN_KEY_ID, reason: 'x' } }), 400, 'invalid_request', 'unknown_parameter', 'reason');
  });

  it('requires a key (401 missing_api_key)', async () => {
    expectError(await h.request('POST', '/revoke_api_key', { body: { key_id: UNKNOWN_KEY_ID } }), 401, 'unauthenticated', 'missing_api_key');
  });
});

// ---------------------------------------------------------------------------------------------
// sinth set-password (the operator's reset; the command itself: portability-cli.test.ts)
// ---------------------------------------------------------------------------------------------

describe('setAccountPassword', () => {
  it('sets the password, ends every dashboard session but keeps API keys, and audits it', async () => {
    const { email, password, accountId, key } = await h.signup();
    const session = (await login(email, password, freshIp())).body.token as string;
    expect((await h.request('GET', '/get_bots', { bearer: session })).status).toBe(200);

    const result = await setAccountPassword(h.database.db, { email: ` ${email.toUpperCase()} `, password: 'a brand new phrase' });
    expect(result).toEqual({ accountId, sessionsEnded: 1 });

    expect((await h.request('GET', '/get_bots', { bearer: session })).status).toBe(401);
    expect((await h.request('GET', '/get_bots', { key })).status).toBe(200);
    expectError(await login(email, password, freshIp()), 401, 'unauthenticated', 'invalid_credentials');
    expect((await login(email, 'a brand new phrase', freshIp())).status).toBe(200);
    const audit = await h.database.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId).where('action', '=', 'account.password_set').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'system', object_id: accountId });
  });

  it('leaves no working session from a login that checked the old password while the reset ran', async () => {
    const survivors: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { email, password } = await h.signup();
      // The reset's hashing and the login's check of the old password take about as long: the reset
      // commits while the login is still checking, which is the moment a stolen password matters.
      const [res] = await Promise.all([login(email, password, freshIp()), setAccountPassword(h.database.db, { email, password: `new phrase ${i} words` })]);
      if (res.status === 200 && (await h.request('GET', '/get_bots', { bearer: res.body.token })).status === 200) survivors.push(email);
    }
    expect(survivors).toEqual([]);
  });

  it('refuses a short password and an unknown email, changing nothing', async () => {
    const { email, password } = await h.signup();
    await expect(setAccountPassword(h.database.db, { email, password: 'short' })).rejects.toMatchObject({ type: 'invalid_request', param: 'password' });
    await expect(setAccountPassword(h.database.db, { email: uniqueEmail(), password: 'long enough words' })).rejects.toMatchObject({ type: 'not_found' });
    expect((await login(email, password, freshIp())).status).toBe(200);
  });
});

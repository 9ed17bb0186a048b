import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { eraseDueBots } from '../src/features/bots/bot-erasure.js';
import { expireTrialBots } from '../src/features/bots/trial-bots-service.js';
import { startHarness, type Harness, type TestResponse } from './support/harness.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { DEFAULT_POLICY, DEFAULT_UI, DEFAULT_VALUES } from './support/expected.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const BOT_ID = /^bot_[0-9a-z]{26}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const BOT_FIELDS = [
  'bot_id', 'name', 'handle', 'prompt', 'prompt_version', 'opening_message', 'ui', 'values', 'model',
  'calendar_link', 'transfer_number', 'policy', 'response_enabled', 'response_resume_at', 'created_at', 'updated_at',
];

const uniqueHandle = () => `bot-${randomBytes(5).toString('hex')}`;
/** A well-formed bot id that belongs to nobody. */
const unknownBotId = () => newId('bot');

/** Trial bots are limited per IP: every test that makes them uses addresses of its own. */
let ipCounter = 0;
const nextIp = () => `10.20.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

async function conversationKey(adminKey: string): Promise<string> {
  const res = await h.request('POST', '/create_api_key', { key: adminKey, body: { name: 'widget', scope: 'conversation' } });
  expect(res.status).toBe(200);
  return res.body.key;
}

async function getBots(key: string): Promise<any[]> {
  const res = await h.request('GET', '/get_bots', { key, query: { limit: 200 } });
  expect(res.status).toBe(200);
  return res.body.data;
}

async function botRow(botId: string) {
  return h.database.db.selectFrom('bots').selectAll().where('id', '=', botId).executeTakeFirst();
}

async function auditRows(accountId: string, action: string, objectId?: string) {
  let q = h.database.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId).where('action', '=', action);
  if (objectId) q = q.where('object_id', '=', objectId);
  return q.orderBy('id').execute();
}

/** The mutation behind `res` left exactly one audit row carrying its request id. */
async function expectAudit(res: TestResponse, accountId: string, action: string, objectId: string) {
  const requestId = res.headers['x-request-id'];
  expect(typeof requestId).toBe('string');
  const rows = (await auditRows(accountId, action, objectId)).filter((r) => r.request_id === requestId);
  expect(rows, `audit ${action} for ${objectId}`).toHaveLength(1);
  return rows[0]!;
}

async function insertConversation(accountId: string, botId: string): Promise<string> {
  const id = newId('conv');
  await h.database.db
    .insertInto('conversations')
    .values({ id, account_id: accountId, bot_id: botId, user_id: `user-${randomBytes(3).toString('hex')}`, channel: 'api', updated_at: new Date() })
    .execute();
  return id;
}

async function createTrialBot(body: Record<string, unknown> = {}, ip = nextIp()) {
  return h.request('POST', '/create_bot_before_login', { body: { name: 'Trial bot', ...body }, ip });
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs = 15_000, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const within = (iso: string, expectedMs: number, toleranceMs = 10_000) => {
  expect(iso).toMatch(ISO);
  expect(Math.abs(new Date(iso).getTime() - expectedMs)).toBeLessThan(toleranceMs);
};

// ---------------------------------------------------------------------------------------------
// Security matrix: every admin endpoint needs an admin key of the bot's own account
// ---------------------------------------------------------------------------------------------

interface Endpoint {
  method: 'GET' | 'POST';
  url: string;
  /** Valid input for the endpoint, given a bot of the caller's account. */
  input: (botId: string) => Record<string, unknown>;
}

const ADMIN_ENDPOINTS: Endpoint[] = [
  { method: 'GET', url: '/get_bots', input: () => ({}) },
  { method: 'GET', url: '/list_bots', input: () => ({}) },
  { method: 'GET', url: '/get_bots_with_names', input: () => ({}) },
  { method: 'GET', url: '/get_bot_ids', input: () => ({ name: 'Test bot' }) },
  { method: 'GET', url: '/get_bot_name', input: (bot_id) => ({ bot_id }) },
  { method: 'POST', url: '/create_bot', input: () => ({ name: 'Intruder' }) },
  { method: 'POST', url: '/set_bot_name', input: (bot_id) => ({ bot_id, name: 'Hijacked' }) },
  { method: 'POST', url: '/toggle_bot_response', input: (bot_id) => ({ bot_id, enabled: false }) },
  { method: 'POST', url: '/delete_bot', input: (bot_id) => ({ bot_id }) },
];

const BOT_ID_ENDPOINTS = ADMIN_ENDPOINTS.filter((e) => ['/get_bot_name', '/set_bot_name', '/toggle_bot_response', '/delete_bot'].includes(e.url));

function send(e: Endpoint, input: Record<string, unknown>, opts: { key?: string; headers?: Record<string, string> } = {}) {
  return e.method === 'GET'
    ? h.request('GET', e.url, { ...opts, query: input as Record<string, string> })
    : h.request('POST', e.url, { ...opts, body: input });
}

describe('security', () => {
  it.each(ADMIN_ENDPOINTS)('$method $url without a key → 401', async (e) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const res = await send(e, e.input(bot.bot_id));
    expectError(res, 401, 'unauthenticated', 'missing_api_key');
    // Nothing happened to the bot.
    expect(await getBots(key)).toEqual([bot]);
  });

  it.each(ADMIN_ENDPOINTS)('$method $url with a conversation-scope key → 403', async (e) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const convKey = await conversationKey(key);
    const res = await send(e, e.input(bot.bot_id), { key: convKey });
    expectError(res, 403, 'forbidden');
    expect(await getBots(key)).toEqual([bot]);
  });

  it.each(ADMIN_ENDPOINTS)('$method $url with an invalid key → 401', async (e) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const res = await send(e, e.input(bot.bot_id), { key: 'sk_' + 'x'.repeat(43) });
    expectError(res, 401, 'unauthenticated', 'invalid_api_key');
  });

  it.each(BOT_ID_ENDPOINTS)('$method $url with another account\'s bot_id → 404, never 403, and the bot is untouched', async (e) => {
    const owner = await h.signup();
    const other = await h.signup();
    const bot = await h.createBot(owner.key, { name: 'Private' });
    const res = await send(e, e.input(bot.bot_id), { key: other.key });
    expectError(res, 404, 'not_found', 'bot_not_found', 'bot_id');
    expect(res.body.error.message).not.toMatch(/Private/);
    expect(await getBots(owner.key)).toEqual([bot]);
  });

  it.each(BOT_ID_ENDPOINTS)('$method $url with an unknown bot_id → 404 naming bot_id', async (e) => {
    const { key } = await h.signup();
    const res = await send(e, e.input(unknownBotId()), { key });
    expectError(res, 404, 'not_found', 'bot_not_found', 'bot_id');
  });

  it('lists never show another account\'s bots', async () => {
    const a = await h.signup();
    const b = await h.signup();
    const mine = await h.createBot(a.key, { name: 'Shared name' });
    await h.createBot(b.key, { name: 'Shared name' });
    await h.createBot(b.key, { name: 'Other' });

    expect((await h.request('GET', '/get_bots', { key: a.key })).body.data).toEqual([mine]);
    expect((await h.request('GET', '/list_bots', { key: a.key })).body.data).toEqual([mine.bot_id]);
    expect((await h.request('GET', '/get_bots_with_names', { key: a.key })).body.data).toEqual([{ bot_id: mine.bot_id, name: 'Shared name' }]);
    expect((await h.request('GET', '/get_bot_ids', { key: a.key, query: { name: 'Shared name' } })).body.bot_ids).toEqual([mine.bot_id]);
  });

  it('accepts the key as Authorization: Bearer', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    const res = await h.request('GET', '/get_bots', { bearer: key });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([bot]);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /create_bot
// ---------------------------------------------------------------------------------------------

describe('POST /create_bot', () => {
  it('creates a bot with defaults for everything but the name', async () => {
    const { key, accountId } = await h.signup();
    const before = Date.now();
    const res = await h.request('POST', '/create_bot', { key, body: { name: 'Ava' } });
    expect(res.status).toBe(200);
    const bot = res.body;
    expect(Object.keys(bot).sort()).toEqual([...BOT_FIELDS].sort());
    expect(bot).toEqual({
      bot_id: expect.stringMatching(BOT_ID),
      name: 'Ava',
      handle: null,
      prompt: '',
      prompt_version: 1,
      opening_message: '',
      ui: { title: 'Ava', ...DEFAULT_UI },
      values: DEFAULT_VALUES,
      model: null,
      calendar_link: null,
      transfer_number: null,
      policy: DEFAULT_POLICY,
      response_enabled: true,
      response_resume_at: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    within(bot.created_at, before);

    const row = await botRow(bot.bot_id);
    expect(row?.account_id).toBe(accountId);
    const versions = await h.database.db.selectFrom('prompt_versions').selectAll().where('bot_id', '=', bot.bot_id).execute();
    expect(versions).toMatchObject([{ version: 1, prompt: '', source: 'create' }]);

    const audit = await expectAudit(res, accountId, 'bot.created', bot.bot_id);
    expect(audit.actor_type).toBe('key');
    expect(audit.object_type).toBe('bot');
  });

  it('creates a bot with every optional field', async () => {
    const { key } = await h.signup();
    const handle = uniqueHandle();
    const res = await h.request('POST', '/create_bot', {
      key,
      body: {
        name: '  Ava  ',
        handle,
        prompt: 'You are Ava, a friendly concierge.',
        opening_message: 'Hi! How can I help?',
        ui: { title: 'Concierge', primary_color: '#112233', avatar_url: 'https://example.com/ava.png', position: 'bottom-left', theme: 'dark' },
        values: { humor: 80, reply_delay: 5, sarcasm: 10 },
        model: 'openai/gpt-4o-mini',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Ava',
      handle,
      prompt: 'You are Ava, a friendly concierge.',
      prompt_version: 1,
      opening_message: 'Hi! How can I help?',
      ui: { ...DEFAULT_UI, title: 'Concierge', primary_color: '#112233', avatar_url: 'https://example.com/ava.png', position: 'bottom-left', theme: 'dark' },
      values: { ...DEFAULT_VALUES, humor: 80, reply_delay: 5, sarcasm: 10 },
      model: 'openai/gpt-4o-mini',
      response_enabled: true,
    });
    expect(res.body.ui).toEqual({ ...DEFAULT_UI, title: 'Concierge', primary_color: '#112233', avatar_url: 'https://example.com/ava.png', position: 'bottom-left', theme: 'dark' });
    expect(await getBots(key)).toEqual([res.body]);
    const versions = await h.database.db.selectFrom('prompt_versions').selectAll().where('bot_id', '=', res.body.bot_id).execute();
    expect(versions).toMatchObject([{ version: 1, prompt: 'You are Ava, a friendly concierge.' }]);
  });

  describe('bad input', () => {
    const cases: Array<[string, string, string, Record<string, unknown>]> = [
      ['name missing', 'name', 'missing_parameter', {}],
      ['name empty', 'name', 'invalid_parameter', { name: '' }],
      ['name blank', 'name', 'invalid_parameter', { name: '   ' }],
      ['name too long', 'name', 'invalid_parameter', { name: 'x'.repeat(101) }],
      ['name not a string', 'name', 'invalid_parameter', { name: 42 }],
      ['bad handle', 'handle', 'invalid_parameter', { name: 'A', handle: 'Bad Handle!' }],
      ['handle too short', 'handle', 'invalid_parameter', { name: 'A', handle: 'ab' }],
      ['handle ending in a hyphen', 'handle', 'invalid_parameter', { name: 'A', handle: 'abc-' }],
      ['slider above 100', 'values.humor', 'invalid_parameter', { name: 'A', values: { humor: 101 } }],
      ['slider below 0', 'values.humor', 'invalid_parameter', { name: 'A', values: { humor: -1 } }],
      ['slider not whole', 'values.humor', 'invalid_parameter', { name: 'A', values: { humor: 1.5 } }],
      ['ui color not hex', 'ui.primary_color', 'invalid_parameter', { name: 'A', ui: { primary_color: 'red' } }],
      ['ui avatar over http', 'ui.avatar_url', 'invalid_parameter', { name: 'A', ui: { avatar_url: 'http://example.com/a.png' } }],
      ['ui position unknown', 'ui.position', 'invalid_parameter', { name: 'A', ui: { position: 'top' } }],
      ['model with spaces', 'model', 'invalid_parameter', { name: 'A', model: 'bad model!' }],
      ['prompt too long', 'prompt', 'invalid_parameter', { name: 'A', prompt: 'x'.repeat(32_001) }],
      ['unknown field', 'color', 'unknown_parameter', { name: 'A', color: 'blue' }],
      ['unknown ui field', 'ui.font', 'unknown_parameter', { name: 'A', ui: { font: 'Comic Sans' } }],
    ];

    it.each(cases)('%s → 400 naming %s (%s)', async (_label, param, code, body) => {
      const { key } = await h.signup();
      const res = await h.request('POST', '/create_bot', { key, body });
      expectInvalid(res, param, code);
      expect(await getBots(key)).toEqual([]);
    });

    it('more than 20 custom sliders → 400 naming values', async () => {
      const { key } = await h.signup();
      const values = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`trait_${i}`, 10]));
      expectInvalid(await h.request('POST', '/create_bot', { key, body: { name: 'A', values } }), 'values');
      expect(await getBots(key)).toEqual([]);
      // 20 is fine
      delete values.trait_20;
      expect((await h.request('POST', '/create_bot', { key, body: { name: 'A', values } })).status).toBe(200);
    });
  });

  describe('handle uniqueness', () => {
    it('a handle taken by any account → 409 handle_taken; free again once its bot is deleted', async () => {
      const a = await h.signup();
      const b = await h.signup();
      const handle = uniqueHandle();
      const first = await h.createBot(a.key, { handle });

      expectError(await h.request('POST', '/create_bot', { key: a.key, body: { name: 'Dup', handle } }), 409, 'conflict', 'handle_taken', 'handle');
      expectError(await h.request('POST', '/create_bot', { key: b.key, body: { name: 'Dup', handle } }), 409, 'conflict', 'handle_taken', 'handle');
      expect(await getBots(b.key)).toEqual([]);

      expect((await h.request('POST', '/delete_bot', { key: a.key, body: { bot_id: first.bot_id } })).status).toBe(200);
      const reuse = await h.request('POST', '/create_bot', { key: b.key, body: { name: 'Reuse', handle } });
      expect(reuse.status, JSON.stringify(reuse.body)).toBe(200);
      expect(reuse.body.handle).toBe(handle);
    });

    it('trial bots share the handle namespace', async () => {
      const { key } = await h.signup();
      const handle = uniqueHandle();
      await h.createBot(key, { handle });
      expectError(await createTrialBot({ handle }), 409, 'conflict', 'handle_taken', 'handle');
    });
  });

  describe('idempotency', () => {
    it('a retry with the same Idempotency-Key replays the first response and creates nothing', async () => {
      const { key, accountId } = await h.signup();
      const headers = { 'idempotency-key': `idem-${randomBytes(6).toString('hex')}` };
      const first = await h.request('POST', '/create_bot', { key, headers, body: { name: 'Once' } });
      expect(first.status).toBe(200);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const second = await h.request('POST', '/create_bot', { key, headers, body: { name: 'Once' } });
      expect(second.status).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);

      expect(await getBots(key)).toEqual([first.body]);
      expect(await auditRows(accountId, 'bot.created')).toHaveLength(1);
    });

    it('the same key with a different body → 422 idempotency_key_reused', async () => {
      const { key } = await h.signup();
      const headers = { 'idempotency-key': `idem-${randomBytes(6).toString('hex')}` };
      const first = await h.request('POST', '/create_bot', { key, headers, body: { name: 'First' } });
      expect(first.status).toBe(200);
      const res = await h.request('POST', '/create_bot', { key, headers, body: { name: 'Second' } });
      expectError(res, 422, 'unprocessable', 'idempotency_key_reused');
      expect(await getBots(key)).toEqual([first.body]);
    });

    it('keys are per account: another account using the same key creates its own bot', async () => {
      const a = await h.signup();
      const b = await h.signup();
      const headers = { 'idempotency-key': `idem-${randomBytes(6).toString('hex')}` };
      const ra = await h.request('POST', '/create_bot', { key: a.key, headers, body: { name: 'Same' } });
      const rb = await h.request('POST', '/create_bot', { key: b.key, headers, body: { name: 'Same' } });
      expect(ra.status).toBe(200);
      expect(rb.status).toBe(200);
      expect(rb.headers['idempotent-replayed']).toBeUndefined();
      expect(rb.body.bot_id).not.toBe(ra.body.bot_id);
      expect(await getBots(a.key)).toEqual([ra.body]);
      expect(await getBots(b.key)).toEqual([rb.body]);
    });

    it('two concurrent requests with the same key create exactly one bot', async () => {
      const { key } = await h.signup();
      const headers = { 'idempotency-key': `idem-${randomBytes(6).toString('hex')}` };
      const results = await Promise.all([
        h.request('POST', '/create_bot', { key, headers, body: { name: 'Race' } }),
        h.request('POST', '/create_bot', { key, headers, body: { name: 'Race' } }),
      ]);
      const bots = await getBots(key);
      expect(bots).toHaveLength(1);

      const originals = results.filter((r) => r.status === 200 && r.headers['idempotent-replayed'] === undefined);
      expect(originals).toHaveLength(1);
      expect(originals[0]!.body).toEqual(bots[0]);
      const other = results.find((r) => r !== originals[0])!;
      if (other.status === 200) {
        expect(other.headers['idempotent-replayed']).toBe('true');
        expect(other.body).toEqual(bots[0]);
      } else {
        expectError(other, 409, 'conflict', 'idempotency_in_progress');
      }
    });

    it('a malformed Idempotency-Key → 400', async () => {
      const { key } = await h.signup();
      const res = await h.request('POST', '/create_bot', { key, headers: { 'idempotency-key': 'has space' }, body: { name: 'X' } });
      expectInvalid(res, 'Idempotency-Key');
      expect(await getBots(key)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Lists: GET /get_bots, /list_bots, /get_bots_with_names
// ---------------------------------------------------------------------------------------------

const LISTS: Array<{ url: string; item: (bot: any) => unknown }> = [
  { url: '/get_bots', item: (bot) => bot },
  { url: '/list_bots', item: (bot) => bot.bot_id },
  { url: '/get_bots_with_names', item: (bot) => ({ bot_id: bot.bot_id, name: bot.name }) },
];

describe.each(LISTS)('GET $url', ({ url, item }) => {
  it('returns the account\'s bots in id order', async () => {
    const { key } = await h.signup();
    const bots = [await h.createBot(key, { name: 'One' }), await h.createBot(key, { name: 'Two', handle: uniqueHandle() })];
    bots.sort((x, y) => (x.bot_id < y.bot_id ? -1 : 1));
    const res = await h.request('GET', url, { key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: bots.map(item), next_cursor: null });
  });

  it('is empty for a new account', async () => {
    const { key } = await h.signup();
    expect((await h.request('GET', url, { key })).body).toEqual({ data: [], next_cursor: null });
  });

  it('pages with limit and cursor', async () => {
    const { key } = await h.signup();
    const bots = [];
    for (const name of ['A', 'B', 'C']) bots.push(await h.createBot(key, { name }));
    bots.sort((x, y) => (x.bot_id < y.bot_id ? -1 : 1));

    const p1 = await h.request('GET', url, { key, query: { limit: 2 } });
    expect(p1.status).toBe(200);
    expect(p1.body.data).toEqual(bots.slice(0, 2).map(item));
    expect(typeof p1.body.next_cursor).toBe('string');

    const p2 = await h.request('GET', url, { key, query: { limit: 2, cursor: p1.body.next_cursor } });
    expect(p2.status).toBe(200);
    expect(p2.body).toEqual({ data: bots.slice(2).map(item), next_cursor: null });

    // An exact fit has no next page either.
    const all = await h.request('GET', url, { key, query: { limit: 3 } });
    expect(all.body).toEqual({ data: bots.map(item), next_cursor: null });
  });

  it('leaves deleted bots out', async () => {
    const { key } = await h.signup();
    const keep = await h.createBot(key, { name: 'Keep' });
    const gone = await h.createBot(key, { name: 'Gone' });
    expect((await h.request('POST', '/delete_bot', { key, body: { bot_id: gone.bot_id } })).status).toBe(200);
    expect((await h.request('GET', url, { key })).body).toEqual({ data: [item(keep)], next_cursor: null });
  });

  it.each([
    ['limit=0', 'limit', { limit: 0 }],
    ['limit=201', 'limit', { limit: 201 }],
    ['limit=abc', 'limit', { limit: 'abc' }],
    ['a garbage cursor', 'cursor', { cursor: 'garbage!!' }],
    ['a cursor that decodes to no id', 'cursor', { cursor: Buffer.from('hello').toString('base64url') }],
    ['an unknown parameter', 'color', { color: 'blue' }],
  ])('%s → 400 naming %s', async (_label, param, query) => {
    const { key } = await h.signup();
    await h.createBot(key);
    expectInvalid(await h.request('GET', url, { key, query }), param);
  });

  it('limit=200 is allowed', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    expect((await h.request('GET', url, { key, query: { limit: 200 } })).body).toEqual({ data: [item(bot)], next_cursor: null });
  });
});

// ---------------------------------------------------------------------------------------------
// GET /get_bot_ids, GET /get_bot_name
// ---------------------------------------------------------------------------------------------

describe('GET /get_bot_ids', () => {
  it('returns every bot sharing the name, case-insensitively, and none of another account\'s', async () => {
    const a = await h.signup();
    const b = await h.signup();
    const s1 = await h.createBot(a.key, { name: 'Support' });
    await h.createBot(a.key, { name: 'Sales' });
    const s2 = await h.createBot(a.key, { name: 'support' });
    await h.createBot(b.key, { name: 'Support' });

    const res = await h.request('GET', '/get_bot_ids', { key: a.key, query: { name: 'SUPPORT' } });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('SUPPORT');
    expect([...res.body.bot_ids].sort()).toEqual([s1.bot_id, s2.bot_id].sort());
    expect(res.body.bot_ids).toEqual([...res.body.bot_ids].sort());
  });

  it('an unknown name → empty list; deleted bots are left out', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key, { name: 'Temp' });
    expect((await h.request('GET', '/get_bot_ids', { key, query: { name: 'Nobody' } })).body).toEqual({ name: 'Nobody', bot_ids: [] });
    expect((await h.request('GET', '/get_bot_ids', { key, query: { name: 'Temp' } })).body.bot_ids).toEqual([bot.bot_id]);
    await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } });
    expect((await h.request('GET', '/get_bot_ids', { key, query: { name: 'Temp' } })).body.bot_ids).toEqual([]);
  });

  it('bad input → 400 naming name', async () => {
    const { key } = await h.signup();
    expectInvalid(await h.request('GET', '/get_bot_ids', { key }), 'name', 'missing_parameter');
    expectInvalid(await h.request('GET', '/get_bot_ids', { key, query: { name: '' } }), 'name', 'invalid_parameter');
    expectInvalid(await h.request('GET', '/get_bot_ids', { key, query: { name: 'A', limit: 5 } }), 'limit', 'unknown_parameter');
  });
});

describe('GET /get_bot_name', () => {
  it('returns the bot\'s id and name', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key, { name: 'Named' });
    const res = await h.request('GET', '/get_bot_name', { key, query: { bot_id: bot.bot_id } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ bot_id: bot.bot_id, name: 'Named' });
  });

  it('bad input → 400 naming bot_id', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    expectInvalid(await h.request('GET', '/get_bot_name', { key }), 'bot_id', 'missing_parameter');
    expectInvalid(await h.request('GET', '/get_bot_name', { key, query: { bot_id: 'not-a-bot' } }), 'bot_id', 'invalid_parameter');
    expectInvalid(await h.request('GET', '/get_bot_name', { key, query: { bot_id: 'conv_' + bot.bot_id.slice(4) } }), 'bot_id', 'invalid_parameter');
    expectInvalid(await h.request('GET', '/get_bot_name', { key, query: { bot_id: bot.bot_id, extra: 1 } }), 'extra', 'unknown_parameter');
  });
});

// ---------------------------------------------------------------------------------------------
// POST /set_bot_name
// ---------------------------------------------------------------------------------------------

describe('POST /set_bot_name', () => {
  it('renames the bot (trimmed), keeps other bots as they are, and audits it', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key, { name: 'Old' });
    const other = await h.createBot(key, { name: 'Other' });
    const res = await h.request('POST', '/set_bot_name', { key, body: { bot_id: bot.bot_id, name: '  New name ' } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...BOT_FIELDS].sort());
    expect(res.body).toMatchObject({ bot_id: bot.bot_id, name: 'New name', ui: { title: 'New name' } });
    expect(new Date(res.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(bot.updated_at).getTime());
    expect(res.body.created_at).toBe(bot.created_at);

    expect((await h.request('GET', '/get_bot_name', { key, query: { bot_id: bot.bot_id } })).body.name).toBe('New name');
    expect((await h.request('GET', '/get_bot_ids', { key, query: { name: 'new name' } })).body.bot_ids).toEqual([bot.bot_id]);
    const bots = await getBots(key);
    expect(bots.find((b) => b.bot_id === other.bot_id)).toEqual(other);

    const audit = await expectAudit(res, accountId, 'bot.renamed', bot.bot_id);
    expect(audit.details).toEqual({ from: 'Old', to: 'New name' });
  });

  it.each([
    ['bot_id missing', 'bot_id', 'missing_parameter', () => ({ name: 'X' })],
    ['name missing', 'name', 'missing_parameter', (id: string) => ({ bot_id: id })],
    ['bot_id malformed', 'bot_id', 'invalid_parameter', () => ({ bot_id: 'bot_123', name: 'X' })],
    ['name empty', 'name', 'invalid_parameter', (id: string) => ({ bot_id: id, name: '' })],
    ['name too long', 'name', 'invalid_parameter', (id: string) => ({ bot_id: id, name: 'n'.repeat(101) })],
    ['unknown field', 'handle', 'unknown_parameter', (id: string) => ({ bot_id: id, name: 'X', handle: 'abc' })],
  ] as Array<[string, string, string, (id: string) => Record<string, unknown>]>)('%s → 400 naming %s (%s)', async (_label, param, code, body) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key, { name: 'Stays' });
    expectInvalid(await h.request('POST', '/set_bot_name', { key, body: body(bot.bot_id) }), param, code);
    expect(await getBots(key)).toEqual([bot]);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /toggle_bot_response
// ---------------------------------------------------------------------------------------------

describe('POST /toggle_bot_response', () => {
  it('omitting enabled flips the state: true → false → true', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key);

    const off = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id } });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ bot_id: bot.bot_id, conversation_id: null, enabled: false, resume_at: null });
    expect(await getBots(key)).toMatchObject([{ response_enabled: false, response_resume_at: null }]);
    await expectAudit(off, accountId, 'bot.responses_disabled', bot.bot_id);

    const on = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id } });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ bot_id: bot.bot_id, conversation_id: null, enabled: true, resume_at: null });
    expect(await getBots(key)).toMatchObject([{ response_enabled: true, response_resume_at: null }]);
    await expectAudit(on, accountId, 'bot.responses_enabled', bot.bot_id);
  });

  it('an explicit enabled sets the state rather than flipping it', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    for (let i = 0; i < 2; i++) {
      const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: false } });
      expect(res.body.enabled).toBe(false);
    }
    expect(await getBots(key)).toMatchObject([{ response_enabled: false }]);
    for (let i = 0; i < 2; i++) {
      const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: true } });
      expect(res.body.enabled).toBe(true);
    }
    expect(await getBots(key)).toMatchObject([{ response_enabled: true }]);
  });

  it('resume_after_minutes sets a resume time ~30 min ahead', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key);
    const before = Date.now();
    const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: false, resume_after_minutes: 30 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bot_id: bot.bot_id, conversation_id: null, enabled: false });
    within(res.body.resume_at, before + 30 * 60_000);

    const [listed] = await getBots(key);
    expect(listed.response_enabled).toBe(false);
    expect(listed.response_resume_at).toBe(res.body.resume_at);
    const audit = await expectAudit(res, accountId, 'bot.responses_disabled', bot.bot_id);
    expect(audit.details).toEqual({ resume_at: res.body.resume_at });
  });

  it('a resume time in the past means the bot answers again', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: false, resume_after_minutes: 30 } });
    await h.database.db.updateTable('bots').set({ response_resume_at: new Date(Date.now() - 60_000) }).where('id', '=', bot.bot_id).execute();

    expect(await getBots(key)).toMatchObject([{ response_enabled: true, response_resume_at: null }]);
    // The flip starts from the effective state (on), so it switches replies off.
    const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id } });
    expect(res.body).toMatchObject({ enabled: false, resume_at: null });
    expect(await getBots(key)).toMatchObject([{ response_enabled: false, response_resume_at: null }]);
  });

  describe('per conversation', () => {
    it('switches one conversation off, leaving the bot as it was', async () => {
      const { key, accountId } = await h.signup();
      const bot = await h.createBot(key);
      const conv = await insertConversation(accountId, bot.bot_id);
      const otherConv = await insertConversation(accountId, bot.bot_id);

      const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, conversation_id: conv } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ bot_id: bot.bot_id, conversation_id: conv, enabled: false, resume_at: null });

      const row = await h.database.db.selectFrom('conversations').selectAll().where('id', '=', conv).executeTakeFirstOrThrow();
      expect(row.bot_enabled).toBe(false);
      const untouched = await h.database.db.selectFrom('conversations').selectAll().where('id', '=', otherConv).executeTakeFirstOrThrow();
      expect(untouched.bot_enabled).toBeNull();
      expect(await getBots(key)).toMatchObject([{ response_enabled: true, response_resume_at: null }]);
      expect((await botRow(bot.bot_id))?.response_enabled).toBe(true);
      await expectAudit(res, accountId, 'conversation.taken_over', conv);

      // Flip back, with a hand-back time while off.
      const on = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, conversation_id: conv } });
      expect(on.body).toMatchObject({ conversation_id: conv, enabled: true, resume_at: null });
      await expectAudit(on, accountId, 'conversation.bot_resumed', conv);
      const before = Date.now();
      const off = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, conversation_id: conv, enabled: false, resume_after_minutes: 10 } });
      within(off.body.resume_at, before + 10 * 60_000);
      const after = await h.database.db.selectFrom('conversations').selectAll().where('id', '=', conv).executeTakeFirstOrThrow();
      expect(after.bot_enabled).toBe(false);
      expect(after.resume_at?.toISOString()).toBe(off.body.resume_at);
    });

    it('a bot switched off for everyone stays off in every conversation', async () => {
      const { key, accountId } = await h.signup();
      const bot = await h.createBot(key);
      const conv = await insertConversation(accountId, bot.bot_id);
      await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, enabled: false } });
      // Switching the conversation on clears its own switch, but the bot-wide takeover still holds.
      const res = await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, conversation_id: conv, enabled: true } });
      expect(res.body).toMatchObject({ conversation_id: conv, enabled: false });
      const row = await h.database.db.selectFrom('conversations').select('bot_enabled').where('id', '=', conv).executeTakeFirstOrThrow();
      expect(row.bot_enabled).toBeNull();
      expect(await getBots(key)).toMatchObject([{ response_enabled: false }]);
    });

    it('a conversation of another bot or another account → 404 naming conversation_id', async () => {
      const a = await h.signup();
      const b = await h.signup();
      const bot = await h.createBot(a.key);
      const sibling = await h.createBot(a.key, { name: 'Sibling' });
      const foreign = await h.createBot(b.key);
      const siblingConv = await insertConversation(a.accountId, sibling.bot_id);
      const foreignConv = await insertConversation(b.accountId, foreign.bot_id);

      for (const conversation_id of [siblingConv, foreignConv, newId('conv')]) {
        const res = await h.request('POST', '/toggle_bot_response', { key: a.key, body: { bot_id: bot.bot_id, conversation_id } });
        expectError(res, 404, 'not_found', 'conversation_not_found', 'conversation_id');
      }
      const rows = await h.database.db.selectFrom('conversations').select(['id', 'bot_enabled']).where('id', 'in', [siblingConv, foreignConv]).execute();
      expect(rows.map((r) => r.bot_enabled)).toEqual([null, null]);
    });
  });

  it.each([
    ['bot_id missing', 'bot_id', 'missing_parameter', () => ({ enabled: false })],
    ['bot_id malformed', 'bot_id', 'invalid_parameter', () => ({ bot_id: 'bot_XYZ' })],
    ['enabled not a boolean', 'enabled', 'invalid_parameter', (id: string) => ({ bot_id: id, enabled: 'no' })],
    ['conversation_id malformed', 'conversation_id', 'invalid_parameter', (id: string) => ({ bot_id: id, conversation_id: 'conv_1' })],
    ['resume_after_minutes 0', 'resume_after_minutes', 'invalid_parameter', (id: string) => ({ bot_id: id, enabled: false, resume_after_minutes: 0 })],
    ['resume_after_minutes too large', 'resume_after_minutes', 'invalid_parameter', (id: string) => ({ bot_id: id, enabled: false, resume_after_minutes: 43_201 })],
    ['unknown field', 'pause', 'unknown_parameter', (id: string) => ({ bot_id: id, pause: true })],
  ] as Array<[string, string, string, (id: string) => Record<string, unknown>]>)('%s → 400 naming %s (%s)', async (_label, param, code, body) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    expectInvalid(await h.request('POST', '/toggle_bot_response', { key, body: body(bot.bot_id) }), param, code);
    expect(await getBots(key)).toEqual([bot]);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /delete_bot and erasure
// ---------------------------------------------------------------------------------------------

describe('POST /delete_bot', () => {
  it('the bot disappears at once; a second delete → 404; audited', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key, { name: 'Doomed' });
    const keep = await h.createBot(key, { name: 'Keeper' });

    const res = await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ bot_id: bot.bot_id, deleted: true, deleted_at: expect.stringMatching(ISO) });
    within(res.body.deleted_at, Date.now());

    expect(await getBots(key)).toEqual([keep]);
    expectError(await h.request('GET', '/get_bot_name', { key, query: { bot_id: bot.bot_id } }), 404, 'not_found', 'bot_not_found', 'bot_id');
    expectError(await h.request('POST', '/set_bot_name', { key, body: { bot_id: bot.bot_id, name: 'Zombie' } }), 404, 'not_found');
    expectError(await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id } }), 404, 'not_found');
    expectError(await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } }), 404, 'not_found', 'bot_not_found', 'bot_id');

    const audit = await expectAudit(res, accountId, 'bot.deleted', bot.bot_id);
    expect(audit.details).toEqual({ name: 'Doomed' });
  });

  it('the erase job removes the bot and its data for good', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key, { prompt: 'secret persona' });
    const conv = await insertConversation(accountId, bot.bot_id);
    expect(await h.database.db.selectFrom('prompt_versions').select('id').where('bot_id', '=', bot.bot_id).execute()).toHaveLength(1);

    expect((await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } })).status).toBe(200);
    // pg-boss runs the job in the background, after any erase jobs earlier tests queued.
    const erased = await pollUntil(async () => (await botRow(bot.bot_id)) === undefined, 25_000);
    expect(erased, 'the erase job did not remove the bots row within 25 s').toBe(true);

    expect(await h.database.db.selectFrom('prompt_versions').select('id').where('bot_id', '=', bot.bot_id).execute()).toEqual([]);
    expect(await h.database.db.selectFrom('conversations').select('id').where('id', '=', conv).execute()).toEqual([]);
    const audit = await auditRows(accountId, 'bot.erased', bot.bot_id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_type).toBe('system');
  }, 40_000);

  it('eraseDueBots sweeps a deleted bot whose erase job was lost, and leaves live bots alone', async () => {
    const { key, accountId } = await h.signup();
    const lost = await h.createBot(key, { name: 'Lost job' });
    const live = await h.createBot(key, { name: 'Live' });
    // Soft-delete directly, as if the erase job had never been enqueued.
    await h.database.db.updateTable('bots').set({ deleted_at: new Date(Date.now() - 1000) }).where('id', '=', lost.bot_id).execute();
    expect(await botRow(lost.bot_id)).toBeDefined();

    const n = await eraseDueBots(h.server.deps);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(await botRow(lost.bot_id)).toBeUndefined();
    expect(await h.database.db.selectFrom('prompt_versions').select('id').where('bot_id', '=', lost.bot_id).execute()).toEqual([]);
    expect(await botRow(live.bot_id)).toBeDefined();
    expect(await getBots(key)).toEqual([live]);
    expect(await auditRows(accountId, 'bot.erased', lost.bot_id)).toHaveLength(1);
  });

  it.each([
    ['bot_id missing', 'bot_id', 'missing_parameter', () => ({})],
    ['bot_id malformed', 'bot_id', 'invalid_parameter', () => ({ bot_id: 'abc' })],
    ['unknown field', 'force', 'unknown_parameter', (id: string) => ({ bot_id: id, force: true })],
  ] as Array<[string, string, string, (id: string) => Record<string, unknown>]>)('%s → 400 naming %s (%s)', async (_label, param, code, body) => {
    const { key } = await h.signup();
    const bot = await h.createBot(key);
    expectInvalid(await h.request('POST', '/delete_bot', { key, body: body(bot.bot_id) }), param, code);
    expect(await getBots(key)).toEqual([bot]);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /create_bot_before_login
// ---------------------------------------------------------------------------------------------

describe('POST /create_bot_before_login', () => {
  it('creates a trial bot without a key, with a working conversation key', async () => {
    const before = Date.now();
    const res = await createTrialBot({ name: 'Try me', ui: { primary_color: '#abcdef' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      bot_id: expect.stringMatching(BOT_ID),
      claim_token: expect.stringMatching(/^claim_/),
      conversation_key: expect.stringMatching(/^pk_/),
      expires_at: expect.stringMatching(ISO),
    });
    within(res.body.expires_at, before + 24 * 3600_000);

    const ui = await h.request('GET', '/get_ui', { query: { bot_id: res.body.bot_id, api_key: res.body.conversation_key } });
    expect(ui.status, JSON.stringify(ui.body)).toBe(200);
    expect(ui.body).toEqual({ bot_id: res.body.bot_id, ui: { ...DEFAULT_UI, title: 'Try me', primary_color: '#abcdef' } });

    // The bot lives in a trial account of its own, which expires with it.
    const row = await botRow(res.body.bot_id);
    const account = await h.database.db.selectFrom('accounts').selectAll().where('id', '=', row!.account_id).executeTakeFirstOrThrow();
    expect(account.kind).toBe('trial');
    expect(account.expires_at?.toISOString()).toBe(res.body.expires_at);
    await expectAudit(res, account.id, 'bot.created', res.body.bot_id);

    // The conversation key is publishable: no admin endpoints.
    expectError(await h.request('GET', '/get_bots', { key: res.body.conversation_key }), 403, 'forbidden');
  });

  it('validates its input like create_bot', async () => {
    const ip = nextIp();
    expectInvalid(await h.request('POST', '/create_bot_before_login', { body: {}, ip }), 'name', 'missing_parameter');
    expectInvalid(await h.request('POST', '/create_bot_before_login', { body: { name: 'A', handle: 'Bad Handle!' }, ip }), 'handle');
    expectInvalid(await h.request('POST', '/create_bot_before_login', { body: { name: 'A', values: { humor: 101 } }, ip }), 'values.humor');
    expectInvalid(await h.request('POST', '/create_bot_before_login', { body: { name: 'A', nope: 1 }, ip }), 'nope', 'unknown_parameter');
  });

  it('limits trial bots per IP: the 6th within the hour → 429 with Retry-After', async () => {
    expect(h.config.TRIAL_BOTS_PER_IP_PER_HOUR).toBe(5);
    // The limit counts in fixed hourly windows; retry once if the run straddles a window boundary.
    for (let attempt = 0; ; attempt++) {
      const hour = Math.floor(Date.now() / 3600_000);
      const ip = '10.9.9.' + (9 + attempt);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await createTrialBot({}, ip)).status);
      const sixth = await createTrialBot({}, ip);
      if (Math.floor(Date.now() / 3600_000) !== hour && attempt === 0) continue;

      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      expectError(sixth, 429, 'rate_limited', 'rate_limited');
      const retryAfter = Number(sixth.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      break;
    }
    // Another address is not affected.
    expect((await createTrialBot({}, '10.9.8.8')).status).toBe(200);
  });

  it('an expired trial bot is removed with its conversation key', async () => {
    const expiring = await createTrialBot({ name: 'Short-lived' });
    const staying = await createTrialBot({ name: 'Still trying' });
    expect(expiring.status).toBe(200);
    expect(staying.status).toBe(200);
    const ui = (r: TestResponse) => h.request('GET', '/get_ui', { query: { bot_id: r.body.bot_id, api_key: r.body.conversation_key } });
    expect((await ui(expiring)).status).toBe(200);

    const row = await botRow(expiring.body.bot_id);
    const account = await h.database.db.selectFrom('accounts').selectAll().where('id', '=', row!.account_id).executeTakeFirstOrThrow();
    expect(account.kind).toBe('trial');
    await h.database.db.updateTable('accounts').set({ expires_at: new Date(Date.now() - 60_000) }).where('id', '=', account.id).execute();

    expect(await expireTrialBots(h.server.deps)).toBeGreaterThanOrEqual(1);
    expect(await botRow(expiring.body.bot_id)).toBeUndefined();
    expect(await h.database.db.selectFrom('api_keys').select('id').where('account_id', '=', account.id).execute()).toEqual([]);
    expectError(await ui(expiring), 401, 'unauthenticated');

    // A trial that has not expired stays.
    expect(await botRow(staying.body.bot_id)).toBeDefined();
    expect((await ui(staying)).status).toBe(200);
  });

  it('a trial bot is invisible to admin accounts', async () => {
    const { key } = await h.signup();
    const trial = await createTrialBot();
    expect(trial.status).toBe(200);
    expect(await getBots(key)).toEqual([]);
    expectError(await h.request('GET', '/get_bot_name', { key, query: { bot_id: trial.body.bot_id } }), 404, 'not_found', 'bot_not_found', 'bot_id');
  });
});

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

describe('audit', () => {
  it('every mutation writes an audit row with the request id, including a caller-supplied one', async () => {
    const { key, accountId } = await h.signup();
    const created = await h.request('POST', '/create_bot', { key, body: { name: 'Audited' }, headers: { 'x-request-id': 'client-req-0001' } });
    expect(created.headers['x-request-id']).toBe('client-req-0001');
    const botId = created.body.bot_id;
    const row = await expectAudit(created, accountId, 'bot.created', botId);
    expect(row.request_id).toBe('client-req-0001');

    const steps: Array<[string, Record<string, unknown>, string]> = [
      ['/set_bot_name', { bot_id: botId, name: 'Renamed' }, 'bot.renamed'],
      ['/toggle_bot_response', { bot_id: botId, enabled: false }, 'bot.responses_disabled'],
      ['/toggle_bot_response', { bot_id: botId, enabled: true }, 'bot.responses_enabled'],
      ['/delete_bot', { bot_id: botId }, 'bot.deleted'],
    ];
    for (const [url, body, action] of steps) {
      const res = await h.request('POST', url, { key, body });
      expect(res.status).toBe(200);
      const audit = await expectAudit(res, accountId, action, botId);
      expect(audit.actor_type).toBe('key');
      expect(audit.actor_id).toMatch(/^key_/);
    }
  });

  it('a rejected request writes no audit row', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key);
    await h.request('POST', '/set_bot_name', { key, body: { bot_id: bot.bot_id, name: '' } });
    await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot.bot_id, resume_after_minutes: 0 } });
    expect(await auditRows(accountId, 'bot.renamed')).toEqual([]);
    expect(await auditRows(accountId, 'bot.responses_disabled')).toEqual([]);
  });
});

describe('GET /get_bot', () => {
  it('returns one bot as get_bots lists it; another account\'s or a deleted bot is a 404', async () => {
    const { key } = await h.signup();
    const bot = await h.createBot(key, { name: 'Solo', handle: `solo-${randomBytes(4).toString('hex')}` });
    const one = await h.request('GET', '/get_bot', { key, query: { bot_id: bot.bot_id } });
    expect(one.status).toBe(200);
    const listed = (await h.request('GET', '/get_bots', { key })).body.data.find((b: any) => b.bot_id === bot.bot_id);
    expect(one.body).toEqual(listed);
    const stranger = await h.signup();
    expect((await h.request('GET', '/get_bot', { key: stranger.key, query: { bot_id: bot.bot_id } })).status).toBe(404);
    await h.request('POST', '/delete_bot', { key, body: { bot_id: bot.bot_id } });
    expect((await h.request('GET', '/get_bot', { key, query: { bot_id: bot.bot_id } })).status).toBe(404);
    expectInvalid(await h.request('GET', '/get_bot', { key, query: { bot_id: 'nope' } }), 'bot_id');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { startHarness, type Harness, type TestResponse } from './support/harness.js';
import { DEFAULT_POLICY, DEFAULT_UI, DEFAULT_VALUES } from './support/expected.js';

/**
 * Prompts endpoints: the persona and behaviour of a bot (prompt and its versions, opening message,
 * widget UI, sliders, calendar link, transfer number, retrained responses).
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

// ---------------------------------------------------------------------------------------------
// Helpers

type Method = 'GET' | 'POST';

/** A fresh account with one bot. */
async function setup(bot: Record<string, unknown> = {}) {
  const account = await h.signup();
  const created = await h.createBot(account.key, bot);
  return { ...account, bot: created, botId: created.bot_id as string };
}

const get = (key: string | undefined, path: string, query: Record<string, string | number> = {}) => h.request('GET', path, { ...(key ? { key } : {}), query });
const post = (key: string | undefined, path: string, body: Record<string, unknown>) => h.request('POST', path, { ...(key ? { key } : {}), body });
/** GET sends the input as query parameters, POST as the JSON body. */
const call = (method: Method, path: string, key: string | undefined, input: Record<string, unknown>) =>
  method === 'GET' ? get(key, path, input as Record<string, string | number>) : post(key, path, input);

function expectError(res: TestResponse, status: number, expected: { type?: string; code?: string; param?: string } = {}) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toBeDefined();
  expect(typeof res.body.error.message).toBe('string');
  expect(typeof res.body.error.request_id).toBe('string');
  if (expected.type) expect(res.body.error.type).toBe(expected.type);
  if (expected.code) expect(res.body.error.code).toBe(expected.code);
  if (expected.param) expect(res.body.error.param).toBe(expected.param);
}

function expectOk(res: TestResponse) {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The bot as GET /get_bots shows it. */
async function botFromList(key: string, botId: string) {
  const list = expectOk(await get(key, '/get_bots'));
  const bot = list.data.find((b: any) => b.bot_id === botId);
  expect(bot, `bot ${botId} in /get_bots`).toBeDefined();
  return bot;
}

async function auditRows(accountId: string, action: string) {
  return h.database.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId).where('action', '=', action).orderBy('id').execute();
}

async function conversationKey(adminKey: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = expectOk(await post(adminKey, '/create_api_key', { name: 'widget', scope: 'conversation', ...extra }));
  expect(res.key).toMatch(/^pk_/);
  return res.key;
}

const versionsOf = async (key: string, botId: string, query: Record<string, string | number> = {}) =>
  expectOk(await get(key, '/get_prompt_versions', { bot_id: botId, ...query })).data as any[];

/**
 * A conversation with a user message and then the bot's reply, written straight to the database.
 * Ids are generated first and sorted so the user message's id sorts before the reply's.
 */
async function seedExchange(accountId: string, botId: string, question: string, answer: string) {
  const conversationId = newId('conv');
  const [userMessageId, botMessageId] = [newId('msg'), newId('msg')].sort() as [string, string];
  const db = h.database.db;
  await db.insertInto('conversations').values({ id: conversationId, account_id: accountId, bot_id: botId, user_id: 'fan-1', channel: 'api', updated_at: new Date() }).execute();
  await db.insertInto('messages').values({ id: userMessageId, account_id: accountId, conversation_id: conversationId, role: 'user', content: question }).execute();
  await db.insertInto('messages').values({ id: botMessageId, account_id: accountId, conversation_id: conversationId, role: 'assistant', content: answer }).execute();
  return { conversationId, userMessageId, botMessageId };
}


// ---------------------------------------------------------------------------------------------
// The endpoints, for the checks every one of them must pass

interface Endpoint {
  method: Method;
  path: string;
  /** A valid request for this bot. */
  input: (botId: string) => Record<string, unknown>;
  required: string[];
  /** The parameter naming the bot. */
  botParam: 'bot_id' | 'bot';
  /** Readable by the chat widget with a conversation key. */
  widget?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/get_prompt', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id' },
  { method: 'GET', path: '/retrieve_prompt', input: (id) => ({ bot: id }), required: ['bot'], botParam: 'bot' },
  { method: 'GET', path: '/get_opening_message', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id', widget: true },
  { method: 'GET', path: '/get_ui', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id', widget: true },
  { method: 'GET', path: '/get_values', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id' },
  { method: 'GET', path: '/get_prompt_versions', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id' },
  { method: 'POST', path: '/edit_prompt', input: (id) => ({ bot_id: id, prompt: 'You are terse.' }), required: ['bot_id', 'prompt'], botParam: 'bot_id' },
  { method: 'POST', path: '/modify_prompt', input: (id) => ({ bot: id, prompt: 'You are terse.' }), required: ['bot', 'prompt'], botParam: 'bot' },
  { method: 'POST', path: '/edit_opening_message', input: (id) => ({ bot_id: id, opening_message: 'Hi there!' }), required: ['bot_id', 'opening_message'], botParam: 'bot_id' },
  { method: 'POST', path: '/edit_ui', input: (id) => ({ bot_id: id, ui: { primary_color: '#123456' } }), required: ['bot_id', 'ui'], botParam: 'bot_id' },
  { method: 'POST', path: '/edit_values', input: (id) => ({ bot_id: id, values: { humor: 80 } }), required: ['bot_id', 'values'], botParam: 'bot_id' },
  { method: 'POST', path: '/set_calendar_link', input: (id) => ({ bot_id: id, url: 'https://cal.example.com/me' }), required: ['bot_id', 'url'], botParam: 'bot_id' },
  { method: 'POST', path: '/set_transfer_number', input: (id) => ({ bot_id: id, number: '+14155552671' }), required: ['bot_id', 'number'], botParam: 'bot_id' },
  { method: 'POST', path: '/retrain_response', input: (id) => ({ bot_id: id, response: 'We open at 9.', question: 'When do you open?' }), required: ['bot_id', 'response'], botParam: 'bot_id' },
  { method: 'GET', path: '/get_policy', input: (id) => ({ bot_id: id }), required: ['bot_id'], botParam: 'bot_id', widget: true },
  { method: 'POST', path: '/edit_policy', input: (id) => ({ bot_id: id, policy: { age_gate: true } }), required: ['bot_id', 'policy'], botParam: 'bot_id' },
  { method: 'POST', path: '/restore_prompt_version', input: (id) => ({ bot_id: id, version: 1 }), required: ['bot_id', 'version'], botParam: 'bot_id' },
];

const ADMIN_ONLY = ENDPOINTS.filter((e) => !e.widget);
const WIDGET = ENDPOINTS.filter((e) => e.widget);
const REQUIRED_CASES = ENDPOINTS.flatMap((e) => e.required.map((param) => ({ ...e, param })));
const label = (e: Endpoint) => `${e.method} ${e.path}`;

// ---------------------------------------------------------------------------------------------

describe('read-back', () => {
  it('settings written through the POST endpoints read back through the GET endpoints and /get_bots', async () => {
    const { key, botId } = await setup({ name: 'Readback' });

    expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'You are a pirate.' }));
    expectOk(await post(key, '/edit_opening_message', { bot_id: botId, opening_message: 'Ahoy!' }));
    expectOk(await post(key, '/edit_ui', { bot_id: botId, ui: { title: 'Ship', primary_color: '#ff0000', avatar_url: 'https://cdn.example.com/a.png', position: 'bottom-left', theme: 'dark' } }));
    expectOk(await post(key, '/edit_values', { bot_id: botId, values: { humor: 90, flirty: 10 } }));
    expectOk(await post(key, '/set_calendar_link', { bot_id: botId, url: 'https://cal.example.com/pirate' }));
    expectOk(await post(key, '/set_transfer_number', { bot_id: botId, number: '+14155552671' }));

    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual({ bot_id: botId, prompt: 'You are a pirate.', version: 2 });
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: botId }))).toEqual({ bot_id: botId, prompt: 'You are a pirate.', version: 2 });
    expect(expectOk(await get(key, '/get_opening_message', { bot_id: botId }))).toEqual({ bot_id: botId, opening_message: 'Ahoy!' });
    const ui = { ...DEFAULT_UI, title: 'Ship', primary_color: '#ff0000', avatar_url: 'https://cdn.example.com/a.png', position: 'bottom-left', theme: 'dark' };
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId }))).toEqual({ bot_id: botId, ui });
    const values = { ...DEFAULT_VALUES, humor: 90, flirty: 10 };
    expect(expectOk(await get(key, '/get_values', { bot_id: botId }))).toEqual({ bot_id: botId, values });

    const bot = await botFromList(key, botId);
    expect(bot).toMatchObject({
      name: 'Readback',
      prompt: 'You are a pirate.',
      prompt_version: 2,
      opening_message: 'Ahoy!',
      ui,
      values,
      calendar_link: 'https://cal.example.com/pirate',
      transfer_number: '+14155552671',
    });
  });

  it('a new bot has an empty prompt at version 1, default ui and default values', async () => {
    const { key, botId } = await setup({ name: 'Fresh' });
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual({ bot_id: botId, prompt: '', version: 1 });
    expect(expectOk(await get(key, '/get_opening_message', { bot_id: botId }))).toEqual({ bot_id: botId, opening_message: '' });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui).toEqual({ ...DEFAULT_UI, title: 'Fresh' });
    expect(expectOk(await get(key, '/get_values', { bot_id: botId })).values).toEqual(DEFAULT_VALUES);
    const bot = await botFromList(key, botId);
    expect(bot.calendar_link).toBeNull();
    expect(bot.transfer_number).toBeNull();
  });

  it('accepts the admin key as Authorization: Bearer', async () => {
    const { key, botId } = await setup({ prompt: 'Bearer test' });
    const res = await h.request('GET', '/get_prompt', { bearer: key, query: { bot_id: botId } });
    expect(expectOk(res).prompt).toBe('Bearer test');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /edit_prompt and GET /get_prompt', () => {
  it('sets the prompt, bumps the version and returns the new state', async () => {
    const { key, botId } = await setup({ prompt: 'v1 text' });
    const res = expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'v2 text' }));
    expect(res).toEqual({ bot_id: botId, prompt: 'v2 text', version: 2 });
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual(res);
  });

  it('accepts an empty prompt and rejects one over 32,000 characters', async () => {
    const { key, botId } = await setup({ prompt: 'something' });
    expect(expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: '' })).prompt).toBe('');
    expectError(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'x'.repeat(32_001) }), 400, { type: 'invalid_request', param: 'prompt' });
    expect(expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'x'.repeat(32_000) })).prompt).toHaveLength(32_000);
  });

  it('rejects a malformed bot id and a non-string prompt', async () => {
    const { key } = await setup();
    expectError(await post(key, '/edit_prompt', { bot_id: 'not-an-id', prompt: 'x' }), 400, { code: 'invalid_parameter', param: 'bot_id' });
    expectError(await get(key, '/get_prompt', { bot_id: 'bot_123' }), 400, { code: 'invalid_parameter', param: 'bot_id' });
    const botId = (await h.createBot(key)).bot_id;
    expectError(await post(key, '/edit_prompt', { bot_id: botId, prompt: 42 }), 400, { code: 'invalid_parameter', param: 'prompt' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('prompt versions: GET /get_prompt_versions, POST /restore_prompt_version', () => {
  it('keeps every version, newest first, with only the latest current', async () => {
    const { key, botId } = await setup({ prompt: 'first' });
    expect(expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'second' })).version).toBe(2);
    expect(expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'third' })).version).toBe(3);

    const versions = await versionsOf(key, botId);
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions.map((v) => v.prompt)).toEqual(['third', 'second', 'first']);
    expect(versions.map((v) => v.source)).toEqual(['edit', 'edit', 'create']);
    expect(versions.map((v) => v.current)).toEqual([true, false, false]);
    for (const v of versions) {
      expect(v.restored_from).toBeNull();
      expect(v.actor).toMatch(/^key_/);
      expect(new Date(v.created_at).toISOString()).toBe(v.created_at);
    }
  });

  it('restoring makes a new version with the old text and records where it came from', async () => {
    const { key, accountId, botId } = await setup({ prompt: 'first' });
    await post(key, '/edit_prompt', { bot_id: botId, prompt: 'second' });
    await post(key, '/edit_prompt', { bot_id: botId, prompt: 'third' });

    const restored = expectOk(await post(key, '/restore_prompt_version', { bot_id: botId, version: 1 }));
    expect(restored).toEqual({ bot_id: botId, prompt: 'first', version: 4 });
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual(restored);

    const versions = await versionsOf(key, botId);
    expect(versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect(versions[0]).toMatchObject({ version: 4, prompt: 'first', source: 'restore', restored_from: 1, current: true });
    expect(versions.filter((v) => v.current)).toHaveLength(1);
    expect((await botFromList(key, botId)).prompt_version).toBe(4);

    const audit = await auditRows(accountId, 'prompt.restored');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ object_type: 'bot', object_id: botId, details: { version: 4, restored_from: 1 } });
  });

  it('an edit that does not change the text creates no version', async () => {
    const { key, accountId, botId } = await setup({ prompt: 'same' });
    const res = expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'same' }));
    expect(res).toEqual({ bot_id: botId, prompt: 'same', version: 1 });
    expect(await versionsOf(key, botId)).toHaveLength(1);
    expect(await auditRows(accountId, 'prompt.edited')).toHaveLength(0);
  });

  it('restoring a version that does not exist is a 404 naming version and changes nothing', async () => {
    const { key, botId } = await setup({ prompt: 'only' });
    expectError(await post(key, '/restore_prompt_version', { bot_id: botId, version: 7 }), 404, { type: 'not_found', param: 'version' });
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual({ bot_id: botId, prompt: 'only', version: 1 });
    expect(await versionsOf(key, botId)).toHaveLength(1);
  });

  it('rejects version 0 and a non-integer version', async () => {
    const { key, botId } = await setup();
    expectError(await post(key, '/restore_prompt_version', { bot_id: botId, version: 0 }), 400, { code: 'invalid_parameter', param: 'version' });
    expectError(await post(key, '/restore_prompt_version', { bot_id: botId, version: 1.5 }), 400, { code: 'invalid_parameter', param: 'version' });
    expectError(await post(key, '/restore_prompt_version', { bot_id: botId, version: '1' }), 400, { code: 'invalid_parameter', param: 'version' });
  });

  it('cannot restore a version of another bot', async () => {
    const { key, botId } = await setup({ prompt: 'a1' });
    const other = await h.createBot(key, { name: 'Other', prompt: 'b1' });
    await post(key, '/edit_prompt', { bot_id: other.bot_id, prompt: 'b2' });
    expectError(await post(key, '/restore_prompt_version', { bot_id: botId, version: 2 }), 404, { param: 'version' });
  });

  it('pages with limit and cursor', async () => {
    const { key, botId } = await setup({ prompt: 'p1' });
    await post(key, '/edit_prompt', { bot_id: botId, prompt: 'p2' });
    await post(key, '/edit_prompt', { bot_id: botId, prompt: 'p3' });

    const first = expectOk(await get(key, '/get_prompt_versions', { bot_id: botId, limit: 2 }));
    expect(first.data.map((v: any) => v.version)).toEqual([3, 2]);
    expect(typeof first.next_cursor).toBe('string');
    const second = expectOk(await get(key, '/get_prompt_versions', { bot_id: botId, limit: 2, cursor: first.next_cursor }));
    expect(second.data.map((v: any) => v.version)).toEqual([1]);
    expect(second.next_cursor).toBeNull();

    expect(expectOk(await get(key, '/get_prompt_versions', { bot_id: botId })).next_cursor).toBeNull();
    expectError(await get(key, '/get_prompt_versions', { bot_id: botId, limit: 0 }), 400, { param: 'limit' });
    expectError(await get(key, '/get_prompt_versions', { bot_id: botId, limit: 201 }), 400, { param: 'limit' });
    expectError(await get(key, '/get_prompt_versions', { bot_id: botId, cursor: 'garbage' }), 400, { param: 'cursor' });
  });

  it('concurrent edits get consecutive, distinct versions', async () => {
    const { key, botId } = await setup({ prompt: 'base' });
    const texts = [1, 2, 3, 4, 5].map((i) => `concurrent edit ${i}`);
    const results = await Promise.all(texts.map((prompt) => post(key, '/edit_prompt', { bot_id: botId, prompt })));
    for (const r of results) expectOk(r);
    expect(results.map((r) => r.body.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6]);

    const versions = await versionsOf(key, botId);
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const byVersion = new Map(versions.map((v) => [v.version, v.prompt]));
    for (const r of results) expect(byVersion.get(r.body.version)).toBe(r.body.prompt);
    expect(new Set(versions.slice(1).map((v) => v.prompt)).size).toBe(5);

    const current = expectOk(await get(key, '/get_prompt', { bot_id: botId }));
    expect(current.version).toBe(6);
    expect(current.prompt).toBe(byVersion.get(6));
    expect(versions.filter((v) => v.current).map((v) => v.version)).toEqual([6]);
  });

  it('lists versions in version order after bursts of concurrent edits', async () => {
    // Versions written back to back under the row lock must still come out newest first.
    const { key, botId } = await setup({ prompt: 'base' });
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => post(key, '/edit_prompt', { bot_id: botId, prompt: `round ${round} edit ${i}` })));
      for (const r of results) expectOk(r);
    }
    const versions = await versionsOf(key, botId, { limit: 200 });
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 21 }, (_, i) => 21 - i));
    expect(versions[0].current).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('GET /retrieve_prompt and POST /modify_prompt (bot by id, handle or name)', () => {
  it('finds the bot by id, by handle and by name (case-insensitive)', async () => {
    const { key, botId } = await setup({ name: 'Luna Bot', handle: 'luna-x1', prompt: 'I am Luna.' });
    const expected = { bot_id: botId, prompt: 'I am Luna.', version: 1 };
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: botId }))).toEqual(expected);
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: 'luna-x1' }))).toEqual(expected);
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: 'LUNA-X1' }))).toEqual(expected);
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: 'Luna Bot' }))).toEqual(expected);
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: 'luna bot' }))).toEqual(expected);
  });

  it('modifies the prompt by id, by handle and by name, each keeping a version', async () => {
    const { key, accountId, botId } = await setup({ name: 'Sol Bot', handle: 'sol-x1', prompt: 'v1' });
    expect(expectOk(await post(key, '/modify_prompt', { bot: botId, prompt: 'by id' }))).toEqual({ bot_id: botId, prompt: 'by id', version: 2 });
    expect(expectOk(await post(key, '/modify_prompt', { bot: 'sol-x1', prompt: 'by handle' }))).toEqual({ bot_id: botId, prompt: 'by handle', version: 3 });
    expect(expectOk(await post(key, '/modify_prompt', { bot: 'Sol Bot', prompt: 'by name' }))).toEqual({ bot_id: botId, prompt: 'by name', version: 4 });
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual({ bot_id: botId, prompt: 'by name', version: 4 });
    expect((await versionsOf(key, botId)).map((v) => v.prompt)).toEqual(['by name', 'by handle', 'by id', 'v1']);
    expect(await auditRows(accountId, 'prompt.edited')).toHaveLength(3);
  });

  it('a name shared by two bots is a 409 ambiguous_bot_name; the id still works', async () => {
    const { key, botId } = await setup({ name: 'Twin', prompt: 'twin one' });
    const second = await h.createBot(key, { name: 'Twin', prompt: 'twin two' });

    expectError(await get(key, '/retrieve_prompt', { bot: 'Twin' }), 409, { type: 'conflict', code: 'ambiguous_bot_name', param: 'bot' });
    expectError(await post(key, '/modify_prompt', { bot: 'twin', prompt: 'which?' }), 409, { type: 'conflict', code: 'ambiguous_bot_name', param: 'bot' });

    expect(expectOk(await get(key, '/retrieve_prompt', { bot: botId })).prompt).toBe('twin one');
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: second.bot_id })).prompt).toBe('twin two');
    expect(expectOk(await post(key, '/modify_prompt', { bot: second.bot_id, prompt: 'twin two, edited' })).version).toBe(2);
    // The ambiguous modify changed neither bot.
    expect(expectOk(await get(key, '/get_prompt', { bot_id: botId }))).toEqual({ bot_id: botId, prompt: 'twin one', version: 1 });
  });

  it('a handle wins over bots that merely share that name, however many there are', async () => {
    const { key } = await setup({ name: 'helper-bot' });
    await h.createBot(key, { name: 'helper-bot' });
    await h.createBot(key, { name: 'helper-bot' });
    const byHandle = await h.createBot(key, { name: 'Someone else', handle: 'helper-bot', prompt: 'the handle one' });
    expect(expectOk(await get(key, '/retrieve_prompt', { bot: 'helper-bot' }))).toEqual({ bot_id: byHandle.bot_id, prompt: 'the handle one', version: 1 });
    expect(expectOk(await post(key, '/modify_prompt', { bot: 'helper-bot', prompt: 'changed' })).bot_id).toBe(byHandle.bot_id);
  });

  it('an unknown name or handle is a 404 naming bot', async () => {
    const { key } = await setup({ name: 'Known' });
    expectError(await get(key, '/retrieve_prompt', { bot: 'Nobody' }), 404, { type: 'not_found', code: 'bot_not_found', param: 'bot' });
    expectError(await post(key, '/modify_prompt', { bot: 'Nobody', prompt: 'x' }), 404, { type: 'not_found', code: 'bot_not_found', param: 'bot' });
    expectError(await get(key, '/retrieve_prompt', { bot: 'bot_00000000000000000000000000' }), 404, { type: 'not_found', param: 'bot' });
  });

  it('does not find another account\'s bot by name or handle', async () => {
    const victim = await setup({ name: 'Secret Name', handle: 'secret-hdl', prompt: 'private' });
    const { key } = await setup({ name: 'Mine' });
    expectError(await get(key, '/retrieve_prompt', { bot: 'Secret Name' }), 404, { type: 'not_found', param: 'bot' });
    expectError(await get(key, '/retrieve_prompt', { bot: 'secret-hdl' }), 404, { type: 'not_found', param: 'bot' });
    expectError(await post(key, '/modify_prompt', { bot: 'secret-hdl', prompt: 'pwned' }), 404, { type: 'not_found', param: 'bot' });
    expect(expectOk(await get(victim.key, '/get_prompt', { bot_id: victim.botId }))).toEqual({ bot_id: victim.botId, prompt: 'private', version: 1 });
  });

  it('rejects an empty or over-long bot reference', async () => {
    const { key } = await setup();
    expectError(await get(key, '/retrieve_prompt', { bot: '' }), 400, { type: 'invalid_request', param: 'bot' });
    expectError(await post(key, '/modify_prompt', { bot: 'x'.repeat(101), prompt: 'p' }), 400, { type: 'invalid_request', param: 'bot' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /edit_opening_message and GET /get_opening_message', () => {
  it('sets the greeting and reads it back', async () => {
    const { key, accountId, botId } = await setup({ opening_message: 'Hello.' });
    expect(expectOk(await get(key, '/get_opening_message', { bot_id: botId }))).toEqual({ bot_id: botId, opening_message: 'Hello.' });
    expect(expectOk(await post(key, '/edit_opening_message', { bot_id: botId, opening_message: 'Welcome back!' }))).toEqual({ bot_id: botId, opening_message: 'Welcome back!' });
    expect(expectOk(await get(key, '/get_opening_message', { bot_id: botId })).opening_message).toBe('Welcome back!');
    expect((await botFromList(key, botId)).opening_message).toBe('Welcome back!');
    expect(await auditRows(accountId, 'bot.opening_message_edited')).toHaveLength(1);
  });

  it('rejects a greeting over 2,000 characters', async () => {
    const { key, botId } = await setup({ opening_message: 'Hello.' });
    expectError(await post(key, '/edit_opening_message', { bot_id: botId, opening_message: 'x'.repeat(2001) }), 400, { param: 'opening_message' });
    expect(expectOk(await get(key, '/get_opening_message', { bot_id: botId })).opening_message).toBe('Hello.');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /edit_ui and GET /get_ui', () => {
  it('a partial update keeps the other fields', async () => {
    const { key, botId } = await setup({ name: 'Styled', ui: { primary_color: '#111111', launcher_text: 'Talk to me' } });
    const res = expectOk(await post(key, '/edit_ui', { bot_id: botId, ui: { background_color: '#abc' } }));
    const expected = { ...DEFAULT_UI, title: 'Styled', primary_color: '#111111', launcher_text: 'Talk to me', background_color: '#abc' };
    expect(res).toEqual({ bot_id: botId, ui: expected });
    expect(expectOk(await post(key, '/edit_ui', { bot_id: botId, ui: { theme: 'light' } })).ui).toEqual({ ...expected, theme: 'light' });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui).toEqual({ ...expected, theme: 'light' });
    expect((await botFromList(key, botId)).ui).toEqual({ ...expected, theme: 'light' });
  });

  it('accepts 3- and 6-digit hex colors in either case', async () => {
    const { key, botId } = await setup();
    const ui = { primary_color: '#abc', background_color: '#AABBCC', text_color: '#0f0F0f' };
    expect(expectOk(await post(key, '/edit_ui', { bot_id: botId, ui })).ui).toMatchObject(ui);
  });

  it.each([
    ['primary_color', 'red'],
    ['primary_color', '#abcd'],
    ['background_color', 'aabbcc'],
    ['text_color', '#gggggg'],
    ['text_color', '#aabbccdd'],
  ])('rejects %s = %j as not hex', async (field, value) => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { [field]: value } }), 400, { type: 'invalid_request', code: 'invalid_parameter', param: `ui.${field}` });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui[field]).toBe((DEFAULT_UI as Record<string, unknown>)[field]);
  });

  it.each(['http://cdn.example.com/a.png', 'javascript:alert(1)', 'ftp://cdn.example.com/a.png', 'not a url'])('rejects avatar_url %j (https only)', async (url) => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { avatar_url: url } }), 400, { type: 'invalid_request', param: 'ui.avatar_url' });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui.avatar_url).toBeNull();
  });

  it('null resets a field to its default', async () => {
    const { key, botId } = await setup({ name: 'Resettable' });
    await post(key, '/edit_ui', { bot_id: botId, ui: { title: 'Custom', primary_color: '#000000', avatar_url: 'https://cdn.example.com/a.png', position: 'bottom-left' } });
    const res = expectOk(await post(key, '/edit_ui', { bot_id: botId, ui: { title: null, primary_color: null, avatar_url: null } }));
    expect(res.ui).toEqual({ ...DEFAULT_UI, title: 'Resettable', position: 'bottom-left' });
  });

  it('the title defaults to the bot name, and follows a rename until one is set', async () => {
    const { key, botId } = await setup({ name: 'Original' });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui.title).toBe('Original');
    expectOk(await post(key, '/set_bot_name', { bot_id: botId, name: 'Renamed' }));
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui.title).toBe('Renamed');
    await post(key, '/edit_ui', { bot_id: botId, ui: { title: 'Pinned' } });
    await post(key, '/set_bot_name', { bot_id: botId, name: 'Renamed again' });
    expect(expectOk(await get(key, '/get_ui', { bot_id: botId })).ui.title).toBe('Pinned');
  });

  it('rejects an unknown ui field and bad enum values', async () => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { font: 'Comic Sans' } }), 400, { type: 'invalid_request', code: 'unknown_parameter', param: 'ui.font' });
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { position: 'top' } }), 400, { param: 'ui.position' });
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { theme: 'neon' } }), 400, { param: 'ui.theme' });
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: { title: 'x'.repeat(61) } }), 400, { param: 'ui.title' });
    expectError(await post(key, '/edit_ui', { bot_id: botId, ui: 'dark' }), 400, { param: 'ui' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /edit_values and GET /get_values', () => {
  it('shows the built-in sliders with their defaults', async () => {
    const { key, botId } = await setup();
    expect(expectOk(await get(key, '/get_values', { bot_id: botId }))).toEqual({ bot_id: botId, values: DEFAULT_VALUES });
  });

  it('a partial update keeps the other sliders; custom sliders are stored and returned', async () => {
    const { key, botId } = await setup({ values: { warmth: 70 } });
    const res = expectOk(await post(key, '/edit_values', { bot_id: botId, values: { humor: 0, flirty: 65 } }));
    expect(res).toEqual({ bot_id: botId, values: { ...DEFAULT_VALUES, warmth: 70, humor: 0, flirty: 65 } });
    const next = expectOk(await post(key, '/edit_values', { bot_id: botId, values: { creativity: 100 } }));
    expect(next.values).toEqual({ ...DEFAULT_VALUES, warmth: 70, humor: 0, flirty: 65, creativity: 100 });
    expect(expectOk(await get(key, '/get_values', { bot_id: botId })).values).toEqual(next.values);
    expect((await botFromList(key, botId)).values).toEqual(next.values);
  });

  it('null removes a custom slider and resets a built-in one', async () => {
    const { key, botId } = await setup({ values: { flirty: 40, humor: 90, reply_delay: 20 } });
    const res = expectOk(await post(key, '/edit_values', { bot_id: botId, values: { flirty: null, humor: null } }));
    expect(res.values).toEqual({ ...DEFAULT_VALUES, reply_delay: 20 });
    expect(res.values).not.toHaveProperty('flirty');
  });

  it.each([
    ['humor', 101],
    ['humor', -1],
    ['humor', 5.5],
    ['flirty', 101],
    ['warmth', '50'],
  ])('rejects %s = %j', async (name, value) => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_values', { bot_id: botId, values: { [name]: value } }), 400, { type: 'invalid_request', code: 'invalid_parameter', param: `values.${name}` });
    expect(expectOk(await get(key, '/get_values', { bot_id: botId })).values).toEqual(DEFAULT_VALUES);
  });

  it.each(['Bad Name', 'UPPER', '1st', 'has-dash', 'x'.repeat(41)])('rejects the slider name %j', async (name) => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_values', { bot_id: botId, values: { [name]: 50 } }), 400, { type: 'invalid_request', code: 'invalid_parameter', param: `values.${name}` });
    expect(expectOk(await get(key, '/get_values', { bot_id: botId })).values).toEqual(DEFAULT_VALUES);
  });

  it('allows 20 custom sliders but not 21', async () => {
    const { key, accountId, botId } = await setup();
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`trait_${i}`, i]));
    expect(Object.keys(expectOk(await post(key, '/edit_values', { bot_id: botId, values: twenty })).values)).toHaveLength(27);
    // Changing a built-in or an existing custom slider still works at the cap.
    expectOk(await post(key, '/edit_values', { bot_id: botId, values: { humor: 1, trait_0: 99 } }));
    expectError(await post(key, '/edit_values', { bot_id: botId, values: { one_more: 1 } }), 400, { type: 'invalid_request', param: 'values' });
    const values = expectOk(await get(key, '/get_values', { bot_id: botId })).values;
    expect(values).not.toHaveProperty('one_more');
    expect(values.trait_0).toBe(99);
    // Replacing one custom slider by another in the same patch stays within the cap.
    expectOk(await post(key, '/edit_values', { bot_id: botId, values: { trait_1: null, one_more: 5 } }));
    // The rejected edit wrote no audit row.
    expect(await auditRows(accountId, 'bot.values_edited')).toHaveLength(3);
  });

  it('rejects more than 20 custom sliders in one request', async () => {
    const { key, botId } = await setup();
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`trait_${i}`, 50]));
    expectError(await post(key, '/edit_values', { bot_id: botId, values: many }), 400, { param: 'values' });
    expect(expectOk(await get(key, '/get_values', { bot_id: botId })).values).toEqual(DEFAULT_VALUES);
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /edit_policy', () => {
  it('sets fields partially, de-duplicates topics, resets with null, and shows in get_policy and get_bots', async () => {
    const { key, botId } = await setup();
    const first = expectOk(await post(key, '/edit_policy', { bot_id: botId, policy: { age_gate: true, blocked_topics: ['politics', 'crypto', 'politics'] } }));
    expect(first).toEqual({ bot_id: botId, policy: { ...DEFAULT_POLICY, age_gate: true, blocked_topics: ['politics', 'crypto'] } });
    const second = expectOk(await post(key, '/edit_policy', { bot_id: botId, policy: { ai_disclosure: 'You are chatting with an AI.', ai_disclosure_channels: ['sms'], age_gate: null } }));
    expect(second.policy).toEqual({ ...DEFAULT_POLICY, blocked_topics: ['politics', 'crypto'], ai_disclosure: 'You are chatting with an AI.', ai_disclosure_channels: ['sms'] });
    expect(expectOk(await get(key, '/get_policy', { bot_id: botId }))).toEqual(second);
    expect((await botFromList(key, botId)).policy).toEqual(second.policy);
  });

  it('names the bad field', async () => {
    const { key, botId } = await setup();
    expectError(await post(key, '/edit_policy', { bot_id: botId, policy: { blocked_topics: ['x'] } }), 400, { type: 'invalid_request', param: 'policy.blocked_topics.0' });
    expectError(await post(key, '/edit_policy', { bot_id: botId, policy: { ai_disclosure_channels: ['fax'] } }), 400, { type: 'invalid_request', param: 'policy.ai_disclosure_channels.0' });
    expectError(await post(key, '/edit_policy', { bot_id: botId, policy: { age: true } }), 400, { type: 'invalid_request', code: 'unknown_parameter', param: 'policy.age' });
  });
});

describe('POST /set_calendar_link', () => {
  it('sets an https link, and null clears it', async () => {
    const { key, accountId, botId } = await setup();
    expect(expectOk(await post(key, '/set_calendar_link', { bot_id: botId, url: 'https://cal.example.com/meet' }))).toEqual({ bot_id: botId, calendar_link: 'https://cal.example.com/meet' });
    expect((await botFromList(key, botId)).calendar_link).toBe('https://cal.example.com/meet');
    expect(expectOk(await post(key, '/set_calendar_link', { bot_id: botId, url: null }))).toEqual({ bot_id: botId, calendar_link: null });
    expect((await botFromList(key, botId)).calendar_link).toBeNull();
    expect(await auditRows(accountId, 'bot.calendar_link_set')).toHaveLength(2);
  });

  it.each(['http://cal.example.com/meet', 'cal.example.com/meet', 'javascript:alert(1)', ''])('rejects %j', async (url) => {
    const { key, botId } = await setup();
    await post(key, '/set_calendar_link', { bot_id: botId, url: 'https://cal.example.com/keep' });
    expectError(await post(key, '/set_calendar_link', { bot_id: botId, url }), 400, { type: 'invalid_request', param: 'url' });
    expect((await botFromList(key, botId)).calendar_link).toBe('https://cal.example.com/keep');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /set_transfer_number', () => {
  it('sets an E.164 number, and null clears it', async () => {
    const { key, accountId, botId } = await setup();
    expect(expectOk(await post(key, '/set_transfer_number', { bot_id: botId, number: '+14155552671' }))).toEqual({ bot_id: botId, transfer_number: '+14155552671' });
    expect((await botFromList(key, botId)).transfer_number).toBe('+14155552671');
    expect(expectOk(await post(key, '/set_transfer_number', { bot_id: botId, number: null }))).toEqual({ bot_id: botId, transfer_number: null });
    expect((await botFromList(key, botId)).transfer_number).toBeNull();
    expect(await auditRows(accountId, 'bot.transfer_number_set')).toHaveLength(2);
  });

  it.each(['4155552671', '+1415', 'abc', '+1 415 555 2671', '+10000000000'])('rejects %j as invalid_phone_number', async (number) => {
    const { key, botId } = await setup();
    await post(key, '/set_transfer_number', { bot_id: botId, number: '+14155552671' });
    expectError(await post(key, '/set_transfer_number', { bot_id: botId, number }), 400, { type: 'invalid_request', code: 'invalid_phone_number', param: 'number' });
    expect((await botFromList(key, botId)).transfer_number).toBe('+14155552671');
  });
});

// ---------------------------------------------------------------------------------------------

describe('POST /retrain_response', () => {
  it('stores a curated answer for a question', async () => {
    const { key, accountId, botId } = await setup();
    const res = expectOk(await post(key, '/retrain_response', { bot_id: botId, question: 'What are your hours?', response: 'Nine to five.' }));
    expect(res).toMatchObject({ bot_id: botId, question: 'What are your hours?', response: 'Nine to five.', hits: 0 });
    expect(res.response_id).toMatch(/^rr_/);
    expect(new Date(res.created_at).toISOString()).toBe(res.created_at);

    const rows = await h.database.db.selectFrom('retrained_responses').selectAll().where('bot_id', '=', botId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: res.response_id, account_id: accountId, question: 'What are your hours?', response: 'Nine to five.', source_message_id: null });
  });

  it('retraining the same question (other case and punctuation) updates the same answer', async () => {
    const { key, botId } = await setup();
    const first = expectOk(await post(key, '/retrain_response', { bot_id: botId, question: 'What are your hours?', response: 'Nine to five.' }));
    const second = expectOk(await post(key, '/retrain_response', { bot_id: botId, question: '  what ARE your hours!!  ', response: 'Ten to six.' }));
    expect(second.response_id).toBe(first.response_id);
    expect(second.response).toBe('Ten to six.');
    const rows = await h.database.db.selectFrom('retrained_responses').selectAll().where('bot_id', '=', botId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.response).toBe('Ten to six.');

    const other = expectOk(await post(key, '/retrain_response', { bot_id: botId, question: 'Where are you?', response: 'Downtown.' }));
    expect(other.response_id).not.toBe(first.response_id);
  });

  it('takes the question from the user message before the bot reply named by message_id', async () => {
    const { key, botId, accountId } = await setup();
    const { botMessageId } = await seedExchange(accountId, botId, 'Do you ship abroad?', 'I am not sure.');
    const res = expectOk(await post(key, '/retrain_response', { bot_id: botId, message_id: botMessageId, response: 'Yes, to 40 countries.' }));
    expect(res).toMatchObject({ bot_id: botId, question: 'Do you ship abroad?', response: 'Yes, to 40 countries.' });
    const row = await h.database.db.selectFrom('retrained_responses').selectAll().where('id', '=', res.response_id).executeTakeFirstOrThrow();
    expect(row.source_message_id).toBe(botMessageId);
  });

  it('a user message id is a 422 not_a_bot_reply', async () => {
    const { key, botId, accountId } = await setup();
    const { userMessageId } = await seedExchange(accountId, botId, 'Hi?', 'Hello.');
    expectError(await post(key, '/retrain_response', { bot_id: botId, message_id: userMessageId, response: 'x' }), 422, { type: 'unprocessable', code: 'not_a_bot_reply', param: 'message_id' });
  });

  it('needs exactly one of message_id and question', async () => {
    const { key, botId, accountId } = await setup();
    const { botMessageId } = await seedExchange(accountId, botId, 'Q?', 'A.');
    expectError(await post(key, '/retrain_response', { bot_id: botId, message_id: botMessageId, question: 'Q?', response: 'x' }), 400, { type: 'invalid_request' });
    expectError(await post(key, '/retrain_response', { bot_id: botId, response: 'x' }), 400, { type: 'invalid_request' });
    expect(await h.database.db.selectFrom('retrained_responses').selectAll().where('bot_id', '=', botId).execute()).toHaveLength(0);
  });

  it('another account\'s message is a 404 naming message_id', async () => {
    const victim = await setup();
    const { botMessageId } = await seedExchange(victim.accountId, victim.botId, 'Secret question?', 'Secret answer.');
    const { key, botId } = await setup();
    expectError(await post(key, '/retrain_response', { bot_id: botId, message_id: botMessageId, response: 'x' }), 404, { type: 'not_found', param: 'message_id' });
    expect(await h.database.db.selectFrom('retrained_responses').selectAll().where('bot_id', '=', botId).execute()).toHaveLength(0);
  });

  it('a message of another bot of the same account is a 404 naming message_id', async () => {
    const { key, accountId, botId } = await setup();
    const other = await h.createBot(key, { name: 'Other' });
    const { botMessageId } = await seedExchange(accountId, other.bot_id, 'Q?', 'A.');
    expectError(await post(key, '/retrain_response', { bot_id: botId, message_id: botMessageId, response: 'x' }), 404, { param: 'message_id' });
  });

  it('rejects a malformed message id, an empty response and a question without words', async () => {
    const { key, botId } = await setup();
    expectError(await post(key, '/retrain_response', { bot_id: botId, message_id: 'msg_nope', response: 'x' }), 400, { param: 'message_id' });
    expectError(await post(key, '/retrain_response', { bot_id: botId, question: 'Q?', response: '   ' }), 400, { param: 'response' });
    expectError(await post(key, '/retrain_response', { bot_id: botId, question: '?!', response: 'x' }), 400, { param: 'question' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('bad input (every endpoint)', () => {
  it.each(REQUIRED_CASES.map((c) => [`${label(c)} without ${c.param}`, c] as const))('%s is a 400 missing_parameter', async (_name, c) => {
    const { key, botId } = await setup({ prompt: 'p' });
    const input = c.input(botId);
    delete input[c.param];
    expectError(await call(c.method, c.path, key, input), 400, { type: 'invalid_request', code: 'missing_parameter', param: c.param });
  });

  it.each(ENDPOINTS.map((e) => [label(e), e] as const))('%s rejects an unknown parameter', async (_name, e) => {
    const { key, botId } = await setup({ prompt: 'p' });
    expectError(await call(e.method, e.path, key, { ...e.input(botId), colour: 'blue' }), 400, { type: 'invalid_request', code: 'unknown_parameter', param: 'colour' });
  });

});

// ---------------------------------------------------------------------------------------------

describe('security (every endpoint)', () => {
  it.each(ENDPOINTS.map((e) => [label(e), e] as const))('%s without a key is a 401', async (_name, e) => {
    const { botId } = await setup();
    expectError(await call(e.method, e.path, undefined, e.input(botId)), 401, { type: 'unauthenticated' });
  });

  it.each(ENDPOINTS.map((e) => [label(e), e] as const))('%s with an invalid key is a 401', async (_name, e) => {
    const { botId } = await setup();
    expectError(await call(e.method, e.path, 'sk_not-a-real-key', e.input(botId)), 401, { type: 'unauthenticated' });
  });

  it.each(ENDPOINTS.map((e) => [label(e), e] as const))('%s on another account\'s bot is a 404 and changes nothing', async (_name, e) => {
    const victim = await setup({ name: 'Victim', prompt: 'victim prompt' });
    const before = await botFromList(victim.key, victim.botId);
    const auditOf = (accountId: string) => h.database.db.selectFrom('audit_logs').select('id').where('account_id', '=', accountId).orderBy('id').execute();
    const victimAuditBefore = await auditOf(victim.accountId);
    const attacker = await setup({ name: 'Attacker' });
    const attackerAuditBefore = await auditOf(attacker.accountId);
    const res = await call(e.method, e.path, attacker.key, e.input(victim.botId));
    expect(JSON.stringify(res.body)).not.toContain('victim prompt');
    expectError(res, 404, { type: 'not_found', code: 'bot_not_found', param: e.botParam });
    expect(await botFromList(victim.key, victim.botId)).toEqual(before);
    expect(await versionsOf(victim.key, victim.botId)).toHaveLength(1);
    expect(await auditOf(victim.accountId)).toEqual(victimAuditBefore);
    expect(await auditOf(attacker.accountId)).toEqual(attackerAuditBefore);
    const retrained = await h.database.db.selectFrom('retrained_responses').select('id').where('bot_id', '=', victim.botId).execute();
    expect(retrained).toHaveLength(0);
  });

  it.each(ADMIN_ONLY.map((e) => [label(e), e] as const))('%s refuses a conversation key with a 403', async (_name, e) => {
    const { key, botId } = await setup();
    const pk = await conversationKey(key);
    expectError(await call(e.method, e.path, pk, e.input(botId)), 403, { type: 'forbidden' });
  });

  it.each(ADMIN_ONLY.map((e) => [label(e), e] as const))('%s does not take the key as an api_key parameter', async (_name, e) => {
    const { key, botId } = await setup();
    expectError(await call(e.method, e.path, undefined, { ...e.input(botId), api_key: key }), 401, { type: 'unauthenticated' });
  });

  describe.each(WIDGET.map((e) => [label(e), e] as const))('%s (read by the chat widget)', (_name, e) => {
    it('accepts a conversation key in the api-key header', async () => {
      const { key, botId } = await setup({ opening_message: 'Hi from the widget', ui: { title: 'Widget' } });
      const pk = await conversationKey(key);
      const res = expectOk(await get(pk, e.path, { bot_id: botId }));
      expect(res.bot_id).toBe(botId);
      expect(res).toEqual(expectOk(await get(key, e.path, { bot_id: botId })));
    });

    it('accepts a conversation key as the api_key query parameter, with no header', async () => {
      const { key, botId } = await setup({ opening_message: 'Hi from the widget', ui: { title: 'Widget' } });
      const pk = await conversationKey(key);
      const res = expectOk(await get(undefined, e.path, { bot_id: botId, api_key: pk }));
      expect(res).toEqual(expectOk(await get(key, e.path, { bot_id: botId })));
      if (e.path === '/get_ui') expect(res.ui.title).toBe('Widget');
      else if (e.path === '/get_policy') expect(res.policy.age_gate).toBe(false);
      else expect(res.opening_message).toBe('Hi from the widget');
    });

    it('refuses an invalid api_key parameter', async () => {
      const { botId } = await setup();
      expectError(await get(undefined, e.path, { bot_id: botId, api_key: 'pk_not-a-real-key' }), 401, { type: 'unauthenticated' });
    });

    it('a conversation key limited to other bots is a 403', async () => {
      const { key, botId } = await setup();
      const other = await h.createBot(key, { name: 'Other' });
      const pk = await conversationKey(key, { bot_ids: [other.bot_id] });
      expectError(await get(pk, e.path, { bot_id: botId }), 403, { type: 'forbidden' });
      expectOk(await get(pk, e.path, { bot_id: other.bot_id }));
    });

    it('a conversation key of another account gets a 404', async () => {
      const victim = await setup();
      const attacker = await setup();
      const pk = await conversationKey(attacker.key);
      expectError(await get(undefined, e.path, { bot_id: victim.botId, api_key: pk }), 404, { type: 'not_found', param: 'bot_id' });
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('audit', () => {
  it('every mutation writes an audit row in the caller\'s account', async () => {
    const { key, accountId, botId } = await setup({ name: 'Audited', handle: 'audited-1', prompt: 'v1' });
    const other = await setup();

    expectOk(await post(key, '/edit_prompt', { bot_id: botId, prompt: 'v2' }));
    expectOk(await post(key, '/modify_prompt', { bot: 'audited-1', prompt: 'v3' }));
    expectOk(await post(key, '/restore_prompt_version', { bot_id: botId, version: 1 }));
    expectOk(await post(key, '/edit_opening_message', { bot_id: botId, opening_message: 'Hey' }));
    expectOk(await post(key, '/edit_ui', { bot_id: botId, ui: { theme: 'dark' } }));
    expectOk(await post(key, '/edit_values', { bot_id: botId, values: { humor: 10 } }));
    expectOk(await post(key, '/set_calendar_link', { bot_id: botId, url: 'https://cal.example.com/a' }));
    expectOk(await post(key, '/set_transfer_number', { bot_id: botId, number: '+14155552671' }));
    const retrained = expectOk(await post(key, '/retrain_response', { bot_id: botId, question: 'Q?', response: 'A.' }));

    const expected: Array<[string, string, string, number]> = [
      ['prompt.edited', 'bot', botId, 2],
      ['prompt.restored', 'bot', botId, 1],
      ['bot.opening_message_edited', 'bot', botId, 1],
      ['bot.ui_edited', 'bot', botId, 1],
      ['bot.values_edited', 'bot', botId, 1],
      ['bot.calendar_link_set', 'bot', botId, 1],
      ['bot.transfer_number_set', 'bot', botId, 1],
      ['response.retrained', 'retrained_response', retrained.response_id, 1],
    ];
    for (const [action, objectType, objectId, count] of expected) {
      const rows = await auditRows(accountId, action);
      expect(rows, action).toHaveLength(count);
      for (const row of rows) {
        expect(row, action).toMatchObject({ account_id: accountId, actor_type: 'key', object_type: objectType, object_id: objectId });
        expect(row.actor_id, action).toMatch(/^key_/);
        expect(row.request_id, action).toBeTruthy();
      }
    }
    expect((await auditRows(accountId, 'prompt.edited')).map((r) => r.details)).toEqual([{ version: 2 }, { version: 3 }]);
    expect((await auditRows(accountId, 'bot.ui_edited'))[0]!.details).toEqual({ fields: ['theme'] });
    expect((await auditRows(accountId, 'bot.values_edited'))[0]!.details).toEqual({ values: { humor: 10 } });
    expect((await auditRows(accountId, 'bot.calendar_link_set'))[0]!.details).toEqual({ calendar_link: 'https://cal.example.com/a' });
    expect((await auditRows(accountId, 'response.retrained'))[0]!.details).toEqual({ bot_id: botId });

    // Nothing leaked into another account.
    const foreign = await h.database.db.selectFrom('audit_logs').select('action').where('account_id', '=', other.accountId).where('object_id', '=', botId).execute();
    expect(foreign).toHaveLength(0);
  });

  it('reads write no audit rows', async () => {
    const { key, accountId, botId } = await setup();
    const count = async () => (await h.database.db.selectFrom('audit_logs').select('id').where('account_id', '=', accountId).execute()).length;
    const before = await count();
    for (const e of ENDPOINTS.filter((x) => x.method === 'GET')) expectOk(await call(e.method, e.path, key, e.input(botId)));
    expect(await count()).toBe(before);
  });
});

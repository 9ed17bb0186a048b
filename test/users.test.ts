import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import { startHarness, type Harness, type TestResponse } from './support/harness.js';
import { expectError, expectInvalid } from './support/assertions.js';

/** The Users endpoints: a bot's end users (fans, subscribers), their profile, filters, blocking and erasure. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const USR_ID = /^usr_[0-9a-z]{26}$/;
const USER_FIELDS = [
  'user_id', 'bot_id', 'name', 'phone', 'email', 'tags', 'attributes', 'age_verified', 'age_verified_at',
  'opted_out', 'blocked', 'first_seen_at', 'last_seen_at', 'created_at', 'updated_at',
];
const PHONE = '+14155552671';
const PHONE_2 = '+14155552672';
const PHONE_3 = '+447911123456';

/** A fresh account with one bot. */
async function setup() {
  const account = await h.signup();
  const bot = await h.createBot(account.key);
  return { ...account, botId: bot.bot_id as string };
}

const post = (key: string, url: string, body: Record<string, unknown>) => h.request('POST', url, { key, body });
const get = (key: string, url: string, query: Record<string, string | number | boolean>) => h.request('GET', url, { key, query });

/** Creates (or upserts) a user and insists it worked. */
async function createUser(key: string, body: Record<string, unknown>): Promise<any> {
  const res = await post(key, '/create_user', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function getUser(key: string, botId: string, userId: string): Promise<TestResponse> {
  return get(key, '/get_user', { bot_id: botId, user_id: userId });
}

async function listUsers(key: string, query: Record<string, string | number | boolean>): Promise<any[]> {
  const res = await get(key, '/get_users', { limit: 200, ...query });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

const userIds = (users: any[]) => users.map((u) => u.user_id).sort();

async function userRows(botId: string) {
  return h.database.db.selectFrom('end_users').selectAll().where('bot_id', '=', botId).execute();
}

async function userRow(botId: string, userId: string) {
  return h.database.db.selectFrom('end_users').selectAll().where('bot_id', '=', botId).where('user_id', '=', userId).executeTakeFirst();
}

async function auditRows(accountId: string, action?: string) {
  let q = h.database.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId);
  if (action) q = q.where('action', '=', action);
  return q.orderBy('id').execute();
}

/** The mutation behind `res` left exactly one audit row of `action` carrying its request id. */
async function expectAudit(res: TestResponse, accountId: string, action: string) {
  const requestId = res.headers['x-request-id'];
  expect(typeof requestId).toBe('string');
  const rows = (await auditRows(accountId, action)).filter((r) => r.request_id === requestId);
  expect(rows, `audit ${action}`).toHaveLength(1);
  return rows[0]!;
}

async function insertConversation(accountId: string, botId: string, userId: string, channel = 'api'): Promise<string> {
  const id = newId('conv');
  await h.database.db.insertInto('conversations').values({ id, account_id: accountId, bot_id: botId, user_id: userId, channel, updated_at: new Date() }).execute();
  return id;
}

async function insertMessage(accountId: string, conversationId: string, role: 'user' | 'assistant' | 'operator' | 'system', content = 'hello'): Promise<string> {
  const id = newId('msg');
  await h.database.db.insertInto('messages').values({ id, account_id: accountId, conversation_id: conversationId, role, content }).execute();
  return id;
}

async function suppressionRows(accountId: string) {
  return h.database.db.selectFrom('suppressions').selectAll().where('account_id', '=', accountId).execute();
}

const within = (iso: string, expectedMs: number, toleranceMs = 10_000) => {
  expect(iso).toMatch(ISO);
  expect(Math.abs(new Date(iso).getTime() - expectedMs)).toBeLessThan(toleranceMs);
};

// ---------------------------------------------------------------------------------------------
// POST /create_user
// ---------------------------------------------------------------------------------------------

describe('POST /create_user', () => {
  it('returns the full user; user_id defaults to the phone number', async () => {
    const { key, accountId, botId } = await setup();
    const before = Date.now();
    const res = await post(key, '/create_user', { bot_id: botId, phone: PHONE, name: 'Pat' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([...USER_FIELDS].sort());
    expect(res.body).toEqual({
      user_id: PHONE,
      bot_id: botId,
      name: 'Pat',
      phone: PHONE,
      email: null,
      tags: [],
      attributes: {},
      age_verified: false,
      age_verified_at: null,
      opted_out: false,
      blocked: false,
      first_seen_at: null,
      last_seen_at: null,
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    within(res.body.created_at, before);

    const rows = await userRows(botId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: expect.stringMatching(USR_ID), account_id: accountId, user_id: PHONE, phone: PHONE, name: 'Pat' });
    const audit = await expectAudit(res, accountId, 'user.created');
    expect(audit.object_type).toBe('user');
    expect(audit.object_id).toBe(rows[0]!.id);
  });

  it('takes every field at once', async () => {
    const { key, botId } = await setup();
    const user = await createUser(key, {
      bot_id: botId,
      user_id: 'fan-1',
      phone: PHONE,
      email: 'fan@example.com',
      name: 'Fan One',
      tags: ['vip', 'new'],
      attributes: { city: 'Paris', visits: 3, subscribed: true },
      age_verified: true,
    });
    expect(user).toMatchObject({
      user_id: 'fan-1',
      bot_id: botId,
      phone: PHONE,
      email: 'fan@example.com',
      name: 'Fan One',
      tags: ['vip', 'new'],
      attributes: { city: 'Paris', visits: 3, subscribed: true },
      age_verified: true,
    });
    // What was stored reads back the same.
    const fetched = await getUser(key, botId, 'fan-1');
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject(user);
  });

  it('without user_id or phone, the user_id is a generated usr_ id', async () => {
    const { key, botId } = await setup();
    const a = await createUser(key, { bot_id: botId, email: 'a@example.com' });
    const b = await createUser(key, { bot_id: botId, email: 'a@example.com' });
    expect(a.user_id).toMatch(USR_ID);
    expect(b.user_id).toMatch(USR_ID);
    expect(a.user_id).not.toBe(b.user_id);
    expect(await userRows(botId)).toHaveLength(2);
    expect((await getUser(key, botId, a.user_id)).body.email).toBe('a@example.com');
  });

  it('an explicit user_id wins over the phone', async () => {
    const { key, botId } = await setup();
    const user = await createUser(key, { bot_id: botId, user_id: 'crm-42', phone: PHONE });
    expect(user.user_id).toBe('crm-42');
    expect(user.phone).toBe(PHONE);
  });

  it('a second create with the same user_id updates that user, merging fields', async () => {
    const { key, accountId, botId } = await setup();
    const first = await createUser(key, { bot_id: botId, user_id: 'alice', name: 'Alice', email: 'alice@example.com', tags: ['a'], attributes: { x: 1 } });
    const res = await post(key, '/create_user', { bot_id: botId, user_id: 'alice', name: 'Alicia', attributes: { y: 'two' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: 'alice',
      name: 'Alicia',
      email: 'alice@example.com',
      tags: ['a'],
      attributes: { x: 1, y: 'two' },
      created_at: first.created_at,
    });
    expect(new Date(res.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(first.updated_at).getTime());
    const rows = await userRows(botId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toBe('Alicia');
    await expectAudit(res, accountId, 'user.updated');
    expect(await auditRows(accountId, 'user.created')).toHaveLength(1);
  });

  it('the same user_id under another bot is another user', async () => {
    const { key, botId } = await setup();
    const other = (await h.createBot(key, { name: 'Second' })).bot_id;
    await createUser(key, { bot_id: botId, user_id: 'shared', name: 'One' });
    await createUser(key, { bot_id: other, user_id: 'shared', name: 'Two' });
    expect((await getUser(key, botId, 'shared')).body.name).toBe('One');
    expect((await getUser(key, other, 'shared')).body.name).toBe('Two');
    expect(await userRows(botId)).toHaveLength(1);
    expect(await userRows(other)).toHaveLength(1);
  });

  it('with only a phone that already exists, updates that user', async () => {
    const { key, botId } = await setup();
    const bob = await createUser(key, { bot_id: botId, user_id: 'bob', phone: PHONE, name: 'Bob' });
    const again = await createUser(key, { bot_id: botId, phone: PHONE, name: 'Bobby', tags: ['returning'] });
    expect(again).toMatchObject({ user_id: 'bob', phone: PHONE, name: 'Bobby', tags: ['returning'], created_at: bob.created_at });
    const rows = await userRows(botId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.user_id).toBe('bob');
  });

  describe('phone numbers', () => {
    it('accepts E.164 and trims it', async () => {
      const { key, botId } = await setup();
      expect((await createUser(key, { bot_id: botId, user_id: 'u1', phone: PHONE })).phone).toBe(PHONE);
      expect((await createUser(key, { bot_id: botId, user_id: 'u2', phone: ` ${PHONE_3} ` })).phone).toBe(PHONE_3);
    });

    it.each(['4155552671', '+1415', '+1 415 555 2671x', 'phone', '+10000000000'])('refuses %j → 400 invalid_phone_number naming phone; nothing written', async (phone) => {
      const { key, accountId, botId } = await setup();
      const res = await post(key, '/create_user', { bot_id: botId, phone });
      expectInvalid(res, 'phone', 'invalid_phone_number');
      expect(await userRows(botId)).toEqual([]);
      expect(await auditRows(accountId, 'user.created')).toEqual([]);
    });

    it('update_user validates the phone too', async () => {
      const { key, botId } = await setup();
      await createUser(key, { bot_id: botId, user_id: 'u', phone: PHONE });
      expectInvalid(await post(key, '/update_user', { bot_id: botId, user_id: 'u', phone: '4155552671' }), 'phone', 'invalid_phone_number');
      expect((await userRow(botId, 'u'))?.phone).toBe(PHONE);
    });

    it('a phone used by another user of the same bot → 409 phone_taken; another bot may use it', async () => {
      const { key, botId } = await setup();
      await createUser(key, { bot_id: botId, user_id: 'first', phone: PHONE });
      await createUser(key, { bot_id: botId, user_id: 'second', phone: PHONE_2 });

      expectError(await post(key, '/create_user', { bot_id: botId, user_id: 'third', phone: PHONE }), 409, 'conflict', 'phone_taken', 'phone');
      expectError(await post(key, '/update_user', { bot_id: botId, user_id: 'second', phone: PHONE }), 409, 'conflict', 'phone_taken', 'phone');
      expectError(await post(key, '/create_user', { bot_id: botId, user_id: 'second', phone: PHONE }), 409, 'conflict', 'phone_taken', 'phone');
      expect(userIds(await userRows(botId))).toEqual(['first', 'second']);
      expect((await userRow(botId, 'second'))?.phone).toBe(PHONE_2);

      const otherBot = (await h.createBot(key, { name: 'Other' })).bot_id;
      const elsewhere = await createUser(key, { bot_id: otherBot, user_id: 'third', phone: PHONE });
      expect(elsewhere.phone).toBe(PHONE);
      // Another account may use it as well.
      const stranger = await setup();
      expect((await createUser(stranger.key, { bot_id: stranger.botId, phone: PHONE })).phone).toBe(PHONE);
    });

    it('phone null removes it, which frees the number', async () => {
      const { key, botId } = await setup();
      await createUser(key, { bot_id: botId, user_id: 'first', phone: PHONE });
      const cleared = await post(key, '/update_user', { bot_id: botId, user_id: 'first', phone: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.phone).toBeNull();
      expect((await createUser(key, { bot_id: botId, user_id: 'second', phone: PHONE })).phone).toBe(PHONE);
    });
  });

  describe('races', () => {
    it('five concurrent creates of the same new user_id → all 200, one row', async () => {
      const { key, accountId, botId } = await setup();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => post(key, '/create_user', { bot_id: botId, user_id: 'racer', attributes: { [`k${i}`]: i } })),
      );
      for (const r of results) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.user_id).toBe('racer');
      }
      const rows = await userRows(botId);
      expect(rows).toHaveLength(1);
      // Every request's attribute landed on the one user.
      expect(rows[0]!.attributes).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
      expect(await auditRows(accountId, 'user.created')).toHaveLength(1);
      expect(await auditRows(accountId, 'user.updated')).toHaveLength(4);
    });

    it('five concurrent creates with only the same new phone → all 200, one row', async () => {
      const { key, botId } = await setup();
      const results = await Promise.all(Array.from({ length: 5 }, () => post(key, '/create_user', { bot_id: botId, phone: PHONE })));
      for (const r of results) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.user_id).toBe(PHONE);
      }
      expect(await userRows(botId)).toHaveLength(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Attributes, tags, email, age verification
// ---------------------------------------------------------------------------------------------

describe('attributes and tags', () => {
  it('attributes merge; null removes a key; types are kept', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'u', attributes: { a: 'one', b: 2, c: true } });
    const res = await post(key, '/update_user', { bot_id: botId, user_id: 'u', attributes: { b: null, d: 'x', c: false } });
    expect(res.status).toBe(200);
    expect(res.body.attributes).toEqual({ a: 'one', c: false, d: 'x' });
    // An update without attributes leaves them alone.
    const renamed = await post(key, '/update_user', { bot_id: botId, user_id: 'u', name: 'Renamed' });
    expect(renamed.body.attributes).toEqual({ a: 'one', c: false, d: 'x' });
    expect((await userRow(botId, 'u'))?.attributes).toEqual({ a: 'one', c: false, d: 'x' });
  });

  it('tags replace the old ones and are de-duplicated', async () => {
    const { key, botId } = await setup();
    expect((await createUser(key, { bot_id: botId, user_id: 'u', tags: ['vip', 'vip', 'new', ' new '] })).tags).toEqual(['vip', 'new']);
    const replaced = await post(key, '/update_user', { bot_id: botId, user_id: 'u', tags: ['gold'] });
    expect(replaced.body.tags).toEqual(['gold']);
    const untouched = await post(key, '/update_user', { bot_id: botId, user_id: 'u', name: 'X' });
    expect(untouched.body.tags).toEqual(['gold']);
    const cleared = await post(key, '/update_user', { bot_id: botId, user_id: 'u', tags: [] });
    expect(cleared.body.tags).toEqual([]);
    expect((await userRow(botId, 'u'))?.tags).toEqual([]);
  });

  it('more than 50 attributes in one request → 400 naming attributes', async () => {
    const { key, botId } = await setup();
    const attributes = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, i]));
    expectInvalid(await post(key, '/create_user', { bot_id: botId, user_id: 'u', attributes }), 'attributes');
    expect(await userRows(botId)).toEqual([]);
  });

  it('50 attributes are fine; a merge that makes 51 → 400 and changes nothing; removing one makes room', async () => {
    const { key, botId } = await setup();
    const attributes = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, i]));
    expect(Object.keys((await createUser(key, { bot_id: botId, user_id: 'u', attributes })).attributes)).toHaveLength(50);
    expectInvalid(await post(key, '/update_user', { bot_id: botId, user_id: 'u', attributes: { extra: 1 } }), 'attributes');
    expectInvalid(await post(key, '/create_user', { bot_id: botId, user_id: 'u', attributes: { extra: 1 } }), 'attributes');
    expect((await userRow(botId, 'u'))?.attributes).toEqual(attributes);
    const swapped = await post(key, '/update_user', { bot_id: botId, user_id: 'u', attributes: { a0: null, extra: 1 } });
    expect(swapped.status).toBe(200);
    expect(Object.keys(swapped.body.attributes)).toHaveLength(50);
    expect(swapped.body.attributes.extra).toBe(1);
  });

  it.each(['1bad', 'has space', 'dash-name', '', 'a'.repeat(51)])('attribute name %j → 400 naming attributes', async (name) => {
    const { key, botId } = await setup();
    const res = await post(key, '/create_user', { bot_id: botId, user_id: 'u', attributes: { [name]: 'v' } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.type).toBe('invalid_request');
    expect(res.body.error.param).toMatch(/^attributes/);
    expect(await userRows(botId)).toEqual([]);
  });

  it('attribute values must be strings (max 1000), numbers or booleans', async () => {
    const { key, botId } = await setup();
    for (const value of [{ nested: 1 }, [1, 2], 'x'.repeat(1001)]) {
      const res = await post(key, '/create_user', { bot_id: botId, user_id: 'u', attributes: { good_name: value } });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.error.param).toMatch(/^attributes/);
    }
    expect(await userRows(botId)).toEqual([]);
    expect((await createUser(key, { bot_id: botId, user_id: 'u', attributes: { _ok_name: 'x'.repeat(1000) } })).attributes._ok_name).toHaveLength(1000);
  });

  it('a tag of 51 characters → 400; 50 is fine', async () => {
    const { key, botId } = await setup();
    const res = await post(key, '/create_user', { bot_id: botId, user_id: 'u', tags: ['ok', 't'.repeat(51)] });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.param).toMatch(/^tags/);
    expect(await userRows(botId)).toEqual([]);
    expect((await createUser(key, { bot_id: botId, user_id: 'u', tags: ['t'.repeat(50)] })).tags).toEqual(['t'.repeat(50)]);
  });

  it('an invalid email → 400 naming email', async () => {
    const { key, botId } = await setup();
    expectInvalid(await post(key, '/create_user', { bot_id: botId, user_id: 'u', email: 'not-an-email' }), 'email');
    expect(await userRows(botId)).toEqual([]);
    await createUser(key, { bot_id: botId, user_id: 'u', email: 'ok@example.com' });
    expectInvalid(await post(key, '/update_user', { bot_id: botId, user_id: 'u', email: 'also bad' }), 'email');
    expect((await userRow(botId, 'u'))?.email).toBe('ok@example.com');
  });
});

describe('age verification', () => {
  it('age_verified true stamps age_verified_at; false clears it', async () => {
    const { key, botId } = await setup();
    const before = Date.now();
    const verified = await createUser(key, { bot_id: botId, user_id: 'u', age_verified: true });
    expect(verified.age_verified).toBe(true);
    within(verified.age_verified_at, before);
    expect((await userRow(botId, 'u'))?.age_verified_at).toBeInstanceOf(Date);

    // An update that does not mention it keeps it.
    const kept = await post(key, '/update_user', { bot_id: botId, user_id: 'u', name: 'Still verified' });
    expect(kept.body).toMatchObject({ age_verified: true, age_verified_at: verified.age_verified_at });

    const cleared = await post(key, '/update_user', { bot_id: botId, user_id: 'u', age_verified: false });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ age_verified: false, age_verified_at: null });
    expect((await userRow(botId, 'u'))?.age_verified_at).toBeNull();
  });

  it('a new user is not age verified', async () => {
    const { key, botId } = await setup();
    expect(await createUser(key, { bot_id: botId, user_id: 'u' })).toMatchObject({ age_verified: false, age_verified_at: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Suppression list
// ---------------------------------------------------------------------------------------------

describe('suppression list', () => {
  it('a new user whose phone is on the account\'s suppression list is opted out', async () => {
    const { key, accountId, botId } = await setup();
    await h.database.db.insertInto('suppressions').values({ account_id: accountId, phone: PHONE, reason: 'opted_out' }).execute();
    const suppressed = await createUser(key, { bot_id: botId, phone: PHONE });
    expect(suppressed.opted_out).toBe(true);
    expect((await userRow(botId, PHONE))?.opted_out_at).toBeInstanceOf(Date);
    expect((await createUser(key, { bot_id: botId, phone: PHONE_2 })).opted_out).toBe(false);
  });

  it('another account\'s suppression list does not apply', async () => {
    const { key, botId } = await setup();
    const other = await h.signup();
    await h.database.db.insertInto('suppressions').values({ account_id: other.accountId, phone: PHONE, reason: 'opted_out' }).execute();
    expect((await createUser(key, { bot_id: botId, phone: PHONE })).opted_out).toBe(false);
  });

  it('giving an existing user a suppressed phone opts them out', async () => {
    const { key, accountId, botId } = await setup();
    await h.database.db.insertInto('suppressions').values({ account_id: accountId, phone: PHONE, reason: 'opted_out' }).execute();
    await h.database.db.insertInto('suppressions').values({ account_id: accountId, phone: PHONE_2, reason: 'opted_out' }).execute();
    await createUser(key, { bot_id: botId, user_id: 'by-update' });
    await createUser(key, { bot_id: botId, user_id: 'by-upsert' });
    const updated = await post(key, '/update_user', { bot_id: botId, user_id: 'by-update', phone: PHONE });
    expect(updated.status).toBe(200);
    expect(updated.body.opted_out).toBe(true);
    const upserted = await createUser(key, { bot_id: botId, user_id: 'by-upsert', phone: PHONE_2 });
    expect(upserted.opted_out).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /get_users
// ---------------------------------------------------------------------------------------------

describe('GET /get_users', () => {
  it('lists the bot\'s users in creation order with the full shape', async () => {
    const { key, botId } = await setup();
    const a = await createUser(key, { bot_id: botId, user_id: 'a' });
    const b = await createUser(key, { bot_id: botId, user_id: 'b', phone: PHONE });
    const res = await get(key, '/get_users', { bot_id: botId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [a, b], next_cursor: null });
  });

  it('is empty for a bot without users', async () => {
    const { key, botId } = await setup();
    expect((await get(key, '/get_users', { bot_id: botId })).body).toEqual({ data: [], next_cursor: null });
  });

  it('filters by tag', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'vip1', tags: ['vip', 'paris'] });
    await createUser(key, { bot_id: botId, user_id: 'vip2', tags: ['vip'] });
    await createUser(key, { bot_id: botId, user_id: 'plain', tags: ['paris'] });
    await createUser(key, { bot_id: botId, user_id: 'none' });
    expect(userIds(await listUsers(key, { bot_id: botId, tag: 'vip' }))).toEqual(['vip1', 'vip2']);
    expect(userIds(await listUsers(key, { bot_id: botId, tag: 'paris' }))).toEqual(['plain', 'vip1']);
    expect(await listUsers(key, { bot_id: botId, tag: 'VIP' })).toEqual([]);
    expect(await listUsers(key, { bot_id: botId, tag: 'nobody' })).toEqual([]);
  });

  it('filters by opted_out=true and opted_out=false', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'in' });
    await createUser(key, { bot_id: botId, user_id: 'out' });
    await h.database.db.updateTable('end_users').set({ opted_out: true, opted_out_at: new Date() }).where('bot_id', '=', botId).where('user_id', '=', 'out').execute();
    expect(userIds(await listUsers(key, { bot_id: botId, opted_out: 'true' }))).toEqual(['out']);
    expect(userIds(await listUsers(key, { bot_id: botId, opted_out: 'false' }))).toEqual(['in']);
    expect(userIds(await listUsers(key, { bot_id: botId }))).toEqual(['in', 'out']);
    const out = (await listUsers(key, { bot_id: botId, opted_out: 'true' }))[0];
    expect(out.opted_out).toBe(true);
  });

  it('filters by blocked', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'nice' });
    await createUser(key, { bot_id: botId, user_id: 'rude' });
    expect((await post(key, '/block_user', { bot_id: botId, user_id: 'rude', blocked: true })).status).toBe(200);
    expect(userIds(await listUsers(key, { bot_id: botId, blocked: 'true' }))).toEqual(['rude']);
    expect(userIds(await listUsers(key, { bot_id: botId, blocked: 'false' }))).toEqual(['nice']);
  });

  it('combines filters', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'vip-blocked', tags: ['vip'] });
    await createUser(key, { bot_id: botId, user_id: 'vip-ok', tags: ['vip'] });
    await createUser(key, { bot_id: botId, user_id: 'blocked', tags: [] });
    await post(key, '/block_user', { bot_id: botId, user_id: 'vip-blocked', blocked: true });
    await post(key, '/block_user', { bot_id: botId, user_id: 'blocked', blocked: true });
    expect(userIds(await listUsers(key, { bot_id: botId, tag: 'vip', blocked: 'true' }))).toEqual(['vip-blocked']);
  });

  it('search matches user_id, name, email or phone, case-insensitively', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'CRM-Alpha' });
    await createUser(key, { bot_id: botId, user_id: 'u2', name: 'Beatrice Bravo' });
    await createUser(key, { bot_id: botId, user_id: 'u3', email: 'charlie@Example.com' });
    await createUser(key, { bot_id: botId, user_id: 'u4', phone: PHONE_3 });
    await createUser(key, { bot_id: botId, user_id: 'u5', name: 'Nobody' });
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'crm-alpha' }))).toEqual(['CRM-Alpha']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'BRAVO' }))).toEqual(['u2']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'CHARLIE@example' }))).toEqual(['u3']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: '7911123' }))).toEqual(['u4']);
    expect(await listUsers(key, { bot_id: botId, search: 'zzz' })).toEqual([]);
  });

  it('search treats % and _ literally', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'pct', name: '100%' });
    await createUser(key, { bot_id: botId, user_id: 'abc', name: 'abc' });
    await createUser(key, { bot_id: botId, user_id: 'snake_case' });
    await createUser(key, { bot_id: botId, user_id: 'snakeXcase' });
    await createUser(key, { bot_id: botId, user_id: 'back\\slash' });
    expect(userIds(await listUsers(key, { bot_id: botId, search: '100%' }))).toEqual(['pct']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: '%' }))).toEqual(['pct']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'e_c' }))).toEqual(['snake_case']);
    expect(await listUsers(key, { bot_id: botId, search: '_' })).toHaveLength(1);
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'k\\s' }))).toEqual(['back\\slash']);
  });

  it('pages with limit and cursor', async () => {
    const { key, botId } = await setup();
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await createUser(key, { bot_id: botId, user_id: id });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: TestResponse = await get(key, '/get_users', { bot_id: botId, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u: any) => u.user_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('pages a filtered list', async () => {
    const { key, botId } = await setup();
    for (let i = 1; i <= 5; i++) await createUser(key, { bot_id: botId, user_id: `t${i}`, tags: i % 2 ? ['odd'] : ['even'] });
    const first = await get(key, '/get_users', { bot_id: botId, tag: 'odd', limit: 2 });
    expect(first.body.data.map((u: any) => u.user_id)).toEqual(['t1', 't3']);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await get(key, '/get_users', { bot_id: botId, tag: 'odd', limit: 2, cursor: first.body.next_cursor });
    expect(second.body).toMatchObject({ data: [expect.objectContaining({ user_id: 't5' })], next_cursor: null });
  });

  it('never shows another bot\'s users', async () => {
    const { key, botId } = await setup();
    const sibling = (await h.createBot(key, { name: 'Sibling' })).bot_id;
    const stranger = await setup();
    await createUser(key, { bot_id: botId, user_id: 'mine', tags: ['t'] });
    await createUser(key, { bot_id: sibling, user_id: 'sibling', tags: ['t'] });
    await createUser(stranger.key, { bot_id: stranger.botId, user_id: 'stranger', tags: ['t'] });
    expect(userIds(await listUsers(key, { bot_id: botId }))).toEqual(['mine']);
    expect(userIds(await listUsers(key, { bot_id: botId, tag: 't' }))).toEqual(['mine']);
    expect(userIds(await listUsers(key, { bot_id: botId, search: 'i' }))).toEqual(['mine']);
    expect(userIds(await listUsers(key, { bot_id: sibling }))).toEqual(['sibling']);
  });

  it('bad filters → 400 naming them', async () => {
    const { key, botId } = await setup();
    expectInvalid(await get(key, '/get_users', { bot_id: botId, opted_out: 'maybe' }), 'opted_out');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, blocked: 'yes' }), 'blocked');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, limit: 0 }), 'limit');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, limit: 201 }), 'limit');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, cursor: 'not-a-cursor' }), 'cursor');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, tag: 't'.repeat(51) }), 'tag');
    expectInvalid(await get(key, '/get_users', { bot_id: botId, search: 's'.repeat(101) }), 'search');
  });
});

// ---------------------------------------------------------------------------------------------
// GET /get_user
// ---------------------------------------------------------------------------------------------

describe('GET /get_user', () => {
  it('returns the user with no channels and zero counts before any conversation', async () => {
    const { key, botId } = await setup();
    const user = await createUser(key, { bot_id: botId, user_id: 'quiet', name: 'Quiet' });
    const res = await getUser(key, botId, 'quiet');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...user, channels: [], message_counts: { user: 0, assistant: 0, operator: 0 } });
  });

  it('reports the channels the user talked on and how many messages each side sent', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'talker' });
    await createUser(key, { bot_id: botId, user_id: 'other' });
    const sms = await insertConversation(accountId, botId, 'talker', 'sms');
    const api = await insertConversation(accountId, botId, 'talker', 'api');
    const api2 = await insertConversation(accountId, botId, 'talker', 'api');
    for (const role of ['user', 'user', 'assistant', 'operator'] as const) await insertMessage(accountId, sms, role);
    for (const role of ['user', 'assistant', 'assistant', 'system'] as const) await insertMessage(accountId, api, role);
    await insertMessage(accountId, api2, 'user');
    // Someone else's conversations, on this bot and another, do not count.
    const others = await insertConversation(accountId, botId, 'other', 'voice');
    await insertMessage(accountId, others, 'user');
    const sibling = (await h.createBot(key, { name: 'Sibling' })).bot_id;
    const elsewhere = await insertConversation(accountId, sibling, 'talker', 'whatsapp');
    await insertMessage(accountId, elsewhere, 'assistant');

    const res = await getUser(key, botId, 'talker');
    expect(res.status).toBe(200);
    expect(res.body.channels).toEqual(['api', 'sms']);
    expect(res.body.message_counts).toEqual({ user: 4, assistant: 3, operator: 1 });
    expect((await getUser(key, botId, 'other')).body).toMatchObject({ channels: ['voice'], message_counts: { user: 1, assistant: 0, operator: 0 } });
  });

  it('an unknown user → 404 naming user_id', async () => {
    const { key, botId } = await setup();
    expectError(await getUser(key, botId, 'ghost'), 404, 'not_found', 'user_not_found', 'user_id');
  });

  it('a user of another bot → 404', async () => {
    const { key, botId } = await setup();
    const sibling = (await h.createBot(key, { name: 'Sibling' })).bot_id;
    await createUser(key, { bot_id: sibling, user_id: 'theirs' });
    expectError(await getUser(key, botId, 'theirs'), 404, 'not_found', 'user_not_found', 'user_id');
  });

  it('an unknown bot → 404 naming bot_id', async () => {
    const { key } = await setup();
    expectError(await getUser(key, newId('bot'), 'u'), 404, 'not_found', 'bot_not_found', 'bot_id');
  });
});

// ---------------------------------------------------------------------------------------------
// POST /update_user
// ---------------------------------------------------------------------------------------------

describe('POST /update_user', () => {
  it('changes only the fields given', async () => {
    const { key, accountId, botId } = await setup();
    const user = await createUser(key, { bot_id: botId, user_id: 'u', name: 'Old', email: 'old@example.com', phone: PHONE, tags: ['t'], attributes: { a: 1 } });
    const res = await post(key, '/update_user', { bot_id: botId, user_id: 'u', email: 'new@example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...user, email: 'new@example.com', updated_at: expect.stringMatching(ISO) });
    const nulled = await post(key, '/update_user', { bot_id: botId, user_id: 'u', name: null, email: null });
    expect(nulled.body).toMatchObject({ name: null, email: null, phone: PHONE, tags: ['t'], attributes: { a: 1 } });
    await expectAudit(res, accountId, 'user.updated');
  });

  it('an unknown user → 404 naming user_id, and creates nothing', async () => {
    const { key, accountId, botId } = await setup();
    const res = await post(key, '/update_user', { bot_id: botId, user_id: 'ghost', name: 'Ghost' });
    expectError(res, 404, 'not_found', 'user_not_found', 'user_id');
    expect(await userRows(botId)).toEqual([]);
    expect(await auditRows(accountId, 'user.created')).toEqual([]);
    expect(await auditRows(accountId, 'user.updated')).toEqual([]);
  });

  it('does not match a user by phone: user_id is the key', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'real', phone: PHONE });
    expectError(await post(key, '/update_user', { bot_id: botId, user_id: PHONE, name: 'X' }), 404, 'not_found', 'user_not_found', 'user_id');
    expect((await userRow(botId, 'real'))?.name).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// POST /block_user
// ---------------------------------------------------------------------------------------------

describe('POST /block_user', () => {
  it('blocks and unblocks, as get_user shows; each is audited', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'u', name: 'Kept' });
    const blocked = await post(key, '/block_user', { bot_id: botId, user_id: 'u', blocked: true });
    expect(blocked.status).toBe(200);
    expect(Object.keys(blocked.body).sort()).toEqual([...USER_FIELDS].sort());
    expect(blocked.body).toMatchObject({ user_id: 'u', blocked: true, name: 'Kept' });
    expect((await getUser(key, botId, 'u')).body.blocked).toBe(true);
    expect((await userRow(botId, 'u'))?.blocked).toBe(true);
    const blockAudit = await expectAudit(blocked, accountId, 'user.blocked');
    expect(blockAudit.object_id).toMatch(USR_ID);

    const unblocked = await post(key, '/block_user', { bot_id: botId, user_id: 'u', blocked: false });
    expect(unblocked.status).toBe(200);
    expect(unblocked.body.blocked).toBe(false);
    expect((await getUser(key, botId, 'u')).body.blocked).toBe(false);
    await expectAudit(unblocked, accountId, 'user.unblocked');
  });

  it('blocking one user leaves the others alone', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'a' });
    await createUser(key, { bot_id: botId, user_id: 'b' });
    await post(key, '/block_user', { bot_id: botId, user_id: 'a', blocked: true });
    expect((await getUser(key, botId, 'b')).body.blocked).toBe(false);
  });

  it('an unknown user → 404 naming user_id, nothing written', async () => {
    const { key, accountId, botId } = await setup();
    expectError(await post(key, '/block_user', { bot_id: botId, user_id: 'ghost', blocked: true }), 404, 'not_found', 'user_not_found', 'user_id');
    expect(await userRows(botId)).toEqual([]);
    expect(await auditRows(accountId, 'user.blocked')).toEqual([]);
  });

  it('blocked must be a boolean', async () => {
    const { key, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'u' });
    expectInvalid(await post(key, '/block_user', { bot_id: botId, user_id: 'u', blocked: 'true' }), 'blocked');
    expect((await userRow(botId, 'u'))?.blocked).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// POST /delete_user
// ---------------------------------------------------------------------------------------------

describe('POST /delete_user', () => {
  it('erases the user with their conversations and messages; others stay', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'leaving', phone: PHONE });
    await createUser(key, { bot_id: botId, user_id: 'staying' });
    const c1 = await insertConversation(accountId, botId, 'leaving', 'api');
    const c2 = await insertConversation(accountId, botId, 'leaving', 'sms');
    const m1 = await insertMessage(accountId, c1, 'user');
    const m2 = await insertMessage(accountId, c2, 'assistant');
    const kept = await insertConversation(accountId, botId, 'staying', 'api');
    const keptMsg = await insertMessage(accountId, kept, 'user');
    // The same user_id on another bot is another person: untouched.
    const sibling = (await h.createBot(key, { name: 'Sibling' })).bot_id;
    await createUser(key, { bot_id: sibling, user_id: 'leaving' });
    const siblingConv = await insertConversation(accountId, sibling, 'leaving', 'api');

    const res = await post(key, '/delete_user', { bot_id: botId, user_id: 'leaving' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ user_id: 'leaving', deleted: true, suppressed: false });

    expect(await userRow(botId, 'leaving')).toBeUndefined();
    const convIds = (await h.database.db.selectFrom('conversations').select('id').where('account_id', '=', accountId).execute()).map((r) => r.id).sort();
    expect(convIds).toEqual([kept, siblingConv].sort());
    const msgIds = (await h.database.db.selectFrom('messages').select('id').where('id', 'in', [m1, m2, keptMsg]).execute()).map((r) => r.id);
    expect(msgIds).toEqual([keptMsg]);
    expect(await userRow(botId, 'staying')).toBeDefined();
    expect(await userRow(sibling, 'leaving')).toBeDefined();

    expectError(await getUser(key, botId, 'leaving'), 404, 'not_found', 'user_not_found', 'user_id');
    expect(userIds(await listUsers(key, { bot_id: botId }))).toEqual(['staying']);
    // A second delete finds nobody.
    expectError(await post(key, '/delete_user', { bot_id: botId, user_id: 'leaving' }), 404, 'not_found', 'user_not_found', 'user_id');
  });

  it('a user who had not opted out leaves no suppression entry', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'u', phone: PHONE });
    const res = await post(key, '/delete_user', { bot_id: botId, user_id: 'u' });
    expect(res.body).toEqual({ user_id: 'u', deleted: true, suppressed: false });
    expect(await suppressionRows(accountId)).toEqual([]);
    // The number is free for a new user, who is not opted out.
    expect((await createUser(key, { bot_id: botId, phone: PHONE })).opted_out).toBe(false);
  });

  it('an opted-out user with a phone is kept only as a suppression entry', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'stop', phone: PHONE, name: 'Said Stop' });
    await h.database.db.updateTable('end_users').set({ opted_out: true, opted_out_at: new Date() }).where('bot_id', '=', botId).where('user_id', '=', 'stop').execute();
    const res = await post(key, '/delete_user', { bot_id: botId, user_id: 'stop' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_id: 'stop', deleted: true, suppressed: true });
    expect(await userRows(botId)).toEqual([]);
    const rows = await suppressionRows(accountId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ account_id: accountId, phone: PHONE, reason: 'opted_out' });
    // Whoever creates that number again, on any bot of the account, finds it opted out.
    expect((await createUser(key, { bot_id: botId, phone: PHONE })).opted_out).toBe(true);
    const sibling = (await h.createBot(key, { name: 'Sibling' })).bot_id;
    expect((await createUser(key, { bot_id: sibling, user_id: 'new', phone: PHONE })).opted_out).toBe(true);
  });

  it('an opted-out user whose number is already suppressed deletes cleanly', async () => {
    const { key, accountId, botId } = await setup();
    await h.database.db.insertInto('suppressions').values({ account_id: accountId, phone: PHONE, reason: 'opted_out' }).execute();
    expect((await createUser(key, { bot_id: botId, user_id: 'u', phone: PHONE })).opted_out).toBe(true);
    const res = await post(key, '/delete_user', { bot_id: botId, user_id: 'u' });
    expect(res.status).toBe(200);
    expect(res.body.suppressed).toBe(true);
    expect(await suppressionRows(accountId)).toHaveLength(1);
  });

  it('an opted-out user without a phone leaves no suppression entry', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'u' });
    await h.database.db.updateTable('end_users').set({ opted_out: true }).where('bot_id', '=', botId).execute();
    const res = await post(key, '/delete_user', { bot_id: botId, user_id: 'u' });
    expect(res.body).toEqual({ user_id: 'u', deleted: true, suppressed: false });
    expect(await suppressionRows(accountId)).toEqual([]);
  });

  it('the audit trail names the internal usr_ id, never the caller\'s user_id', async () => {
    const { key, accountId, botId } = await setup();
    const personal = 'fan-email@example.com';
    await createUser(key, { bot_id: botId, user_id: personal, name: 'Fan' });
    await post(key, '/update_user', { bot_id: botId, user_id: personal, tags: ['x'] });
    await post(key, '/block_user', { bot_id: botId, user_id: personal, blocked: true });
    const internalId = (await userRow(botId, personal))!.id;
    const res = await post(key, '/delete_user', { bot_id: botId, user_id: personal });
    expect(res.status).toBe(200);
    const audit = await expectAudit(res, accountId, 'user.deleted');
    expect(audit.object_type).toBe('user');
    expect(audit.object_id).toMatch(USR_ID);
    expect(audit.object_id).toBe(internalId);
    expect(JSON.stringify(audit)).not.toContain(personal);
    // No audit row of the account keeps it either.
    const all = await auditRows(accountId);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(all)).not.toContain(personal);
  });

  it('an unknown user → 404 naming user_id, nothing written', async () => {
    const { key, accountId, botId } = await setup();
    await createUser(key, { bot_id: botId, user_id: 'someone' });
    expectError(await post(key, '/delete_user', { bot_id: botId, user_id: 'ghost' }), 404, 'not_found', 'user_not_found', 'user_id');
    expect(await userRows(botId)).toHaveLength(1);
    expect(await auditRows(accountId, 'user.deleted')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

describe('audit', () => {
  it('every mutation writes an audit row in the caller\'s account with the request id', async () => {
    const { key, accountId, botId } = await setup();
    const steps: Array<[string, Record<string, unknown>, string]> = [
      ['/create_user', { bot_id: botId, user_id: 'audited' }, 'user.created'],
      ['/create_user', { bot_id: botId, user_id: 'audited', name: 'Upserted' }, 'user.updated'],
      ['/update_user', { bot_id: botId, user_id: 'audited', name: 'Updated' }, 'user.updated'],
      ['/block_user', { bot_id: botId, user_id: 'audited', blocked: true }, 'user.blocked'],
      ['/block_user', { bot_id: botId, user_id: 'audited', blocked: false }, 'user.unblocked'],
      ['/delete_user', { bot_id: botId, user_id: 'audited' }, 'user.deleted'],
    ];
    let objectId: string | undefined;
    for (const [url, body, action] of steps) {
      const res = await post(key, url, body);
      expect(res.status, `${url} ${JSON.stringify(res.body)}`).toBe(200);
      const audit = await expectAudit(res, accountId, action);
      expect(audit.account_id).toBe(accountId);
      expect(audit.actor_type).toBe('key');
      expect(audit.actor_id).toMatch(/^key_/);
      expect(audit.object_type).toBe('user');
      objectId ??= audit.object_id!;
      expect(audit.object_id).toBe(objectId);
      expect(audit.details).toMatchObject({ bot_id: botId });
    }
    expect(objectId).toMatch(USR_ID);
  });

  it('a rejected request writes no audit row', async () => {
    const { key, accountId, botId } = await setup();
    await post(key, '/create_user', { bot_id: botId, user_id: 'u', phone: 'nope' });
    await post(key, '/create_user', { bot_id: botId, user_id: 'u', surprise: 1 });
    await post(key, '/update_user', { bot_id: botId, user_id: 'ghost', name: 'X' });
    await post(key, '/block_user', { bot_id: botId, user_id: 'ghost', blocked: true });
    await post(key, '/delete_user', { bot_id: botId, user_id: 'ghost' });
    const actions = (await auditRows(accountId)).map((r) => r.action).filter((a) => a.startsWith('user.'));
    expect(actions).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

interface Endpoint {
  method: 'GET' | 'POST';
  url: string;
  /** Valid input for the endpoint, given a bot with a user 'u'. */
  input: (botId: string) => Record<string, unknown>;
  required: string[];
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', url: '/get_users', input: (bot_id) => ({ bot_id }), required: ['bot_id'] },
  { method: 'GET', url: '/get_user', input: (bot_id) => ({ bot_id, user_id: 'u' }), required: ['bot_id', 'user_id'] },
  { method: 'POST', url: '/create_user', input: (bot_id) => ({ bot_id, user_id: 'u', name: 'Changed' }), required: ['bot_id'] },
  { method: 'POST', url: '/update_user', input: (bot_id) => ({ bot_id, user_id: 'u', name: 'Changed' }), required: ['bot_id', 'user_id'] },
  { method: 'POST', url: '/block_user', input: (bot_id) => ({ bot_id, user_id: 'u', blocked: true }), required: ['bot_id', 'user_id', 'blocked'] },
  { method: 'POST', url: '/delete_user', input: (bot_id) => ({ bot_id, user_id: 'u' }), required: ['bot_id', 'user_id'] },
];

const REQUIRED = ENDPOINTS.flatMap((e) => e.required.map((param) => ({ ...e, param })));
const WITH_USER_ID = ENDPOINTS.filter((e) => e.url !== '/get_users');

function send(e: Endpoint, input: Record<string, unknown>, opts: { key?: string } = {}) {
  return e.method === 'GET'
    ? h.request('GET', e.url, { ...opts, query: input as Record<string, string> })
    : h.request('POST', e.url, { ...opts, body: input });
}

/** A bot with one user 'u' named 'Original', for checking that nothing changed. */
async function setupWithUser() {
  const s = await setup();
  await createUser(s.key, { bot_id: s.botId, user_id: 'u', name: 'Original' });
  return s;
}

async function expectUntouched(botId: string) {
  const rows = await userRows(botId);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ user_id: 'u', name: 'Original', blocked: false });
}

describe('bad input', () => {
  it.each(ENDPOINTS)('$method $url works with its valid input', async (e) => {
    const { key, botId } = await setupWithUser();
    const res = await send(e, e.input(botId), { key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it.each(REQUIRED)('$method $url without $param → 400 missing_parameter naming it', async (e) => {
    const { key, botId } = await setupWithUser();
    const input = e.input(botId);
    delete input[e.param];
    const res = await send(e, input, { key });
    expectInvalid(res, e.param, 'missing_parameter');
    await expectUntouched(botId);
  });

  it.each(ENDPOINTS)('$method $url with an unknown field → 400 unknown_parameter', async (e) => {
    const { key, botId } = await setupWithUser();
    const res = await send(e, { ...e.input(botId), surprise: 'x' }, { key });
    expectInvalid(res, 'surprise', 'unknown_parameter');
    await expectUntouched(botId);
  });

  it.each(WITH_USER_ID)('$method $url with a user_id of 129 characters → 400 naming user_id', async (e) => {
    const { key, botId } = await setupWithUser();
    const res = await send(e, { ...e.input(botId), user_id: 'x'.repeat(129) }, { key });
    expectInvalid(res, 'user_id');
    await expectUntouched(botId);
  });

  it.each(WITH_USER_ID)('$method $url with a blank user_id → 400 naming user_id', async (e) => {
    const { key, botId } = await setupWithUser();
    const res = await send(e, { ...e.input(botId), user_id: '   ' }, { key });
    expectInvalid(res, 'user_id');
    await expectUntouched(botId);
  });

  it.each(ENDPOINTS)('$method $url with a malformed bot_id → 400 naming bot_id', async (e) => {
    const { key, botId } = await setupWithUser();
    const res = await send(e, { ...e.input(botId), bot_id: 'not-a-bot' }, { key });
    expectInvalid(res, 'bot_id');
  });

  it('a user_id of 128 characters is accepted', async () => {
    const { key, botId } = await setup();
    const long = 'y'.repeat(128);
    expect((await createUser(key, { bot_id: botId, user_id: long })).user_id).toBe(long);
    expect((await getUser(key, botId, long)).status).toBe(200);
  });

  it('a name of 101 characters → 400 naming name', async () => {
    const { key, botId } = await setup();
    expectInvalid(await post(key, '/create_user', { bot_id: botId, user_id: 'u', name: 'n'.repeat(101) }), 'name');
    expect(await userRows(botId)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Security
// ---------------------------------------------------------------------------------------------

describe('security', () => {
  it.each(ENDPOINTS)('$method $url without a key → 401', async (e) => {
    const { botId } = await setupWithUser();
    expectError(await send(e, e.input(botId)), 401, 'unauthenticated', 'missing_api_key');
    await expectUntouched(botId);
  });

  it.each(ENDPOINTS)('$method $url with a conversation-scope key → 403', async (e) => {
    const { key, botId } = await setupWithUser();
    const created = await post(key, '/create_api_key', { name: 'widget', scope: 'conversation' });
    expect(created.status).toBe(200);
    expectError(await send(e, e.input(botId), { key: created.body.key }), 403, 'forbidden');
    await expectUntouched(botId);
  });

  it.each(ENDPOINTS)('$method $url with another account\'s bot_id → 404, and nothing is written', async (e) => {
    const owner = await setupWithUser();
    const intruder = await h.signup();
    const res = await send(e, e.input(owner.botId), { key: intruder.key });
    expectError(res, 404, 'not_found', 'bot_not_found', 'bot_id');
    await expectUntouched(owner.botId);
    const ownerActions = (await auditRows(owner.accountId)).map((r) => r.action).filter((a) => a.startsWith('user.'));
    expect(ownerActions).toEqual(['user.created']);
    expect((await auditRows(intruder.accountId)).filter((r) => r.action.startsWith('user.'))).toEqual([]);
    expect(await h.database.db.selectFrom('end_users').select('id').where('account_id', '=', intruder.accountId).execute()).toEqual([]);
  });

  it.each(ENDPOINTS)('$method $url with an unknown bot_id → 404 naming bot_id', async (e) => {
    const { key } = await setup();
    expectError(await send(e, e.input(newId('bot')), { key }), 404, 'not_found', 'bot_not_found', 'bot_id');
  });

  it('a deleted bot\'s users are out of reach', async () => {
    const { key, botId } = await setupWithUser();
    expect((await post(key, '/delete_bot', { bot_id: botId })).status).toBe(200);
    expectError(await getUser(key, botId, 'u'), 404, 'not_found', 'bot_not_found', 'bot_id');
    expectError(await post(key, '/create_user', { bot_id: botId, user_id: 'new' }), 404, 'not_found', 'bot_not_found', 'bot_id');
  });

  it('accepts the key as Authorization: Bearer', async () => {
    const { key, botId } = await setupWithUser();
    const res = await h.request('GET', '/get_user', { bearer: key, query: { bot_id: botId, user_id: 'u' } });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Original');
  });
});

describe('events', () => {
  it('records user.created in the outbox with the change, and erases it with the user', async () => {
    const { key, accountId } = await h.signup();
    const bot = await h.createBot(key);
    await h.request('POST', '/create_user', { key, body: { bot_id: bot.bot_id, user_id: 'evt-fan', name: 'Fan' } });
    const events = await h.database.db.selectFrom('outbox_events').selectAll().where('account_id', '=', accountId).execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('user.created');
    expect(events[0]!.payload).toMatchObject({ id: events[0]!.id, type: 'user.created', data: { bot_id: bot.bot_id, user_id: 'evt-fan' } });
    // An update is not a creation.
    await h.request('POST', '/create_user', { key, body: { bot_id: bot.bot_id, user_id: 'evt-fan', name: 'Fan 2' } });
    expect(await h.database.db.selectFrom('outbox_events').select('id').where('account_id', '=', accountId).execute()).toHaveLength(1);
    await h.request('POST', '/delete_user', { key, body: { bot_id: bot.bot_id, user_id: 'evt-fan' } });
    expect(await h.database.db.selectFrom('outbox_events').select('id').where('account_id', '=', accountId).execute()).toHaveLength(0);
  });
});

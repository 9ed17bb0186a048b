import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { randomUsNumber, startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { startFakeSinchSms, type FakeSinchSms } from './support/fake-sinch-sms.js';
import { importedTwilioCredentials } from '../src/providers/twilio-client.js';

// Phone numbers end to end: the API against a fake Twilio (and Sinch settings), checking what reached
// Twilio, what the database holds, and that one account never sees or touches another's numbers.

const PUBLIC_URL = 'https://sinth.example.com';
const HOOKS = { SmsUrl: `${PUBLIC_URL}/webhooks/twilio/sms`, VoiceUrl: `${PUBLIC_URL}/webhooks/twilio/voice`, StatusCallback: `${PUBLIC_URL}/webhooks/twilio/voice/status` };

let twilio: FakeTwilio;
let sinch: FakeSinchSms;
let h: Harness;
/** A server with no Twilio, no Sinch and no PUBLIC_URL. */
let bare: Harness;
beforeAll(async () => {
  twilio = await startFakeTwilio();
  sinch = await startFakeSinchSms();
  h = await startHarness({
    TWILIO_ACCOUNT_SID: twilio.account.sid,
    TWILIO_AUTH_TOKEN: twilio.account.token,
    TWILIO_API_BASE_URL: twilio.url,
    PUBLIC_URL,
    SINCH_SMS_SERVICE_PLAN_ID: sinch.servicePlanId,
    SINCH_SMS_API_TOKEN: sinch.apiToken,
    SINCH_SMS_BASE_URL: sinch.url,
  });
  bare = await startHarness();
});
afterAll(async () => {
  await h.close();
  await bare.close();
  await twilio.close();
  await sinch.close();
});
beforeEach(() => twilio.reset());

/** A new account with a bot. */
async function tenant(hh = h) {
  const { key, accountId } = await hh.signup();
  const bot = await hh.createBot(key);
  return { key, accountId, botId: bot.bot_id as string };
}

/** A number Twilio offers for sale now. */
function offered(): string {
  const phone = randomUsNumber();
  twilio.addAvailable({ phoneNumber: phone, country: 'US', type: 'local', locality: 'San Francisco', region: 'CA' });
  return phone;
}

async function purchase(key: string, body: Record<string, unknown>, headers?: Record<string, string>) {
  return h.request('POST', '/purchase_twilio_number', { key, body, ...(headers ? { headers } : {}) });
}

async function bought(key: string, botId?: string) {
  const phone = offered();
  const res = await purchase(key, { phone_number: phone, ...(botId ? { bot_id: botId } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const numbersOf = async (key: string, query: Record<string, string | number> = {}) => (await h.request('GET', '/get_phone_numbers', { key, query })).body;
const rowOf = (phone: string) => h.deps.db.selectFrom('phone_numbers').selectAll().where('phone_number', '=', phone).executeTakeFirst();
const twilioCalls = (method: string, pathEnd: string) => twilio.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));

describe('search_for_twilio_number', () => {
  it('asks Twilio with the filters at the type\'s path and returns the offers', async () => {
    const { key } = await tenant();
    const res = await h.request('GET', '/search_for_twilio_number', { key, query: { type: 'toll_free', contains: '555', sms: 'true', voice: 'true', limit: 5 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.data).toContainEqual({ phone_number: '+18335550101', friendly_name: '(833) 555-0101', country: 'US', locality: null, region: null, capabilities: { sms: true, voice: true, mms: true } });
    const req = twilio.requests.at(-1)!;
    expect(req).toMatchObject({ method: 'GET', path: `/2010-04-01/Accounts/${twilio.account.sid}/AvailablePhoneNumbers/US/TollFree.json`, authenticated: true });
    expect(req.params).toMatchObject({ Contains: '555', SmsEnabled: 'true', VoiceEnabled: 'true', PageSize: '5' });
  });

  it('defaults to US local numbers; filters by area code and capability', async () => {
    const { key } = await tenant();
    const res = await h.request('GET', '/search_for_twilio_number', { key, query: { area_code: '415', sms: 'true' } });
    expect(res.status).toBe(200);
    expect(twilio.requests.at(-1)!.path).toMatch(/\/AvailablePhoneNumbers\/US\/Local\.json$/);
    expect(twilio.requests.at(-1)!.params).toMatchObject({ AreaCode: '415', SmsEnabled: 'true' });
    const numbers = res.body.data.map((n: any) => n.phone_number);
    expect(numbers).toContain('+14155550123');
    expect(numbers).not.toContain('+14155550124'); // no SMS
    expect(numbers.every((n: string) => n.startsWith('+1415'))).toBe(true);
  });

  it('validates its parameters, naming each', async () => {
    const { key } = await tenant();
    expectInvalid(await h.request('GET', '/search_for_twilio_number', { key, query: { country: 'USA' } }), 'country');
    expectInvalid(await h.request('GET', '/search_for_twilio_number', { key, query: { type: 'landline' } }), 'type');
    expectInvalid(await h.request('GET', '/search_for_twilio_number', { key, query: { area_code: '41' } }), 'area_code');
    expectInvalid(await h.request('GET', '/search_for_twilio_number', { key, query: { contains: 'a;b' } }), 'contains');
    expectInvalid(await h.request('GET', '/search_for_twilio_number', { key, query: { region: 'CA' } }), 'region', 'unknown_parameter');
    expect(twilio.requests).toHaveLength(0);
  });

  it('a country Twilio has no numbers in is a 422 naming country; a Twilio outage a 502 that names Twilio only', async () => {
    const { key } = await tenant();
    twilio.failNext({ code: 20404, status: 404, message: 'The requested resource was not found' });
    expectError(await h.request('GET', '/search_for_twilio_number', { key, query: { country: 'ZZ' } }), 422, 'unprocessable', 'numbers_not_offered', 'country');
    twilio.failNext({ code: 20500, status: 500, message: 'Internal Server Error' });
    const res = await h.request('GET', '/search_for_twilio_number', { key });
    expectError(res, 502, 'provider_error', 'provider_error');
    expect(res.body.error.message).toMatch(/^twilio: /);
    expect(JSON.stringify(res.body)).not.toContain(twilio.account.token);
  });
});

describe('purchase_twilio_number', () => {
  it('buys on the platform account with the webhooks pointing here, and records the number', async () => {
    const { key, accountId, botId } = await tenant();
    const phone = offered();
    const res = await purchase(key, { phone_number: phone, bot_id: botId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ phone_number: phone, provider: 'twilio', source: 'purchased', bot_id: botId, capabilities: { sms: true, voice: true } });
    expect(res.body.number_id).toMatch(/^num_[0-9a-z]{26}$/);

    const [create] = twilioCalls('POST', '/IncomingPhoneNumbers.json');
    expect(create).toMatchObject({ accountSid: twilio.account.sid, username: twilio.account.sid, authenticated: true });
    expect(create!.params).toMatchObject({ PhoneNumber: phone, SmsMethod: 'POST', VoiceMethod: 'POST', ...HOOKS });
    const atTwilio = twilio.numbersOf(twilio.account.sid).find((n) => n.phone_number === phone)!;
    expect(atTwilio.sms_url).toBe(HOOKS.SmsUrl);

    const row = await rowOf(phone);
    expect(row).toMatchObject({ account_id: accountId, provider_sid: atTwilio.sid, twilio_auth_token_enc: null });
    const audit = await h.deps.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId).where('action', '=', 'phone_number.purchased').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.object_id).toBe(res.body.number_id);

    expect((await numbersOf(key)).data).toEqual([res.body]);
  });

  it('a retry with the same Idempotency-Key replays the purchase and buys nothing twice', async () => {
    const { key } = await tenant();
    const phone = offered();
    const headers = { 'idempotency-key': `idem-${randomBytes(6).toString('hex')}` };
    const first = await purchase(key, { phone_number: phone }, headers);
    const second = await purchase(key, { phone_number: phone }, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(twilioCalls('POST', '/IncomingPhoneNumbers.json')).toHaveLength(1);
    // Without the key, the second attempt is refused: the number is already this account's.
    expectError(await purchase(key, { phone_number: phone }), 409, 'conflict', 'number_exists', 'phone_number');
  });

  it('validates the number as E.164, naming phone_number, before calling Twilio', async () => {
    const { key } = await tenant();
    expectInvalid(await purchase(key, { phone_number: '4155550123' }), 'phone_number', 'invalid_phone_number');
    expectInvalid(await purchase(key, { phone_number: '+1415555012' }), 'phone_number', 'invalid_phone_number');
    expectInvalid(await purchase(key, {}), 'phone_number', 'missing_parameter');
    expectInvalid(await purchase(key, { phone_number: offered(), bot_id: 'nope' }), 'bot_id');
    expect(twilio.requests).toHaveLength(0);
  });

  it('a number Twilio no longer offers is a 409; another account\'s bot is a 404 and nothing is bought', async () => {
    const { key } = await tenant();
    const other = await tenant();
    expectError(await purchase(key, { phone_number: randomUsNumber() }), 409, 'conflict', 'number_not_available', 'phone_number');
    const phone = offered();
    expectError(await purchase(key, { phone_number: phone, bot_id: other.botId }), 404, 'not_found', 'bot_not_found', 'bot_id');
    expect(twilioCalls('POST', '/IncomingPhoneNumbers.json')).toHaveLength(1); // the refused one only
    expect(await rowOf(phone)).toBeUndefined();
  });

  it('another account cannot buy a number that is already someone\'s', async () => {
    const a = await tenant();
    const b = await tenant();
    const number = await bought(a.key);
    twilio.addAvailable({ phoneNumber: number.phone_number, country: 'US', type: 'local' });
    expectError(await purchase(b.key, { phone_number: number.phone_number }), 409, 'conflict', 'number_not_available', 'phone_number');
    expect((await rowOf(number.phone_number))!.account_id).toBe(a.accountId);
  });
});

describe('get_phone_numbers', () => {
  it('lists only the account\'s numbers, by bot, a page at a time', async () => {
    const { key, botId } = await tenant();
    const other = await tenant();
    const one = await bought(key, botId);
    const two = await bought(key);
    await bought(other.key);
    expect((await numbersOf(key)).data.map((n: any) => n.number_id)).toEqual([one.number_id, two.number_id]);
    expect((await numbersOf(key, { bot_id: botId })).data.map((n: any) => n.number_id)).toEqual([one.number_id]);
    const first = await numbersOf(key, { limit: 1 });
    expect(first.data).toHaveLength(1);
    const rest = await numbersOf(key, { limit: 1, cursor: first.next_cursor });
    expect(rest.data[0].number_id).toBe(two.number_id);
    expect(rest.next_cursor).toBeNull();
    expectError(await h.request('GET', '/get_phone_numbers', { key, query: { bot_id: other.botId } }), 404, 'not_found', 'bot_not_found', 'bot_id');
  });
});

describe('pool: get_number_from_pool and rent_twilio_number', () => {
  it('rents a free platform number, points it here, and returns it to the pool on detach', async () => {
    const a = await tenant();
    const b = await tenant();
    const phone = randomUsNumber();
    const pooled = twilio.addOwned(twilio.account.sid, phone, { sms_url: 'https://old.example.com/sms' });
    const pool = async (key: string) => (await h.request('GET', '/get_number_from_pool', { key, query: { limit: 200 } })).body.data.map((n: any) => n.phone_number);
    expect(await pool(a.key)).toContain(phone);

    const rented = await h.request('POST', '/rent_twilio_number', { key: a.key, body: { phone_number: phone, bot_id: a.botId }, headers: { 'idempotency-key': `rent-${phone}` } });
    expect(rented.status, JSON.stringify(rented.body)).toBe(200);
    expect(rented.body).toMatchObject({ phone_number: phone, provider: 'twilio', source: 'pool', bot_id: a.botId });
    const update = twilioCalls('POST', `/IncomingPhoneNumbers/${pooled.sid}.json`);
    expect(update).toHaveLength(1);
    expect(update[0]!.params).toMatchObject(HOOKS);
    expect(pooled.sms_url).toBe(HOOKS.SmsUrl);
    expect(await pool(b.key)).not.toContain(phone);

    // The same key replays; another account cannot rent it.
    const again = await h.request('POST', '/rent_twilio_number', { key: a.key, body: { phone_number: phone, bot_id: a.botId }, headers: { 'idempotency-key': `rent-${phone}` } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expectError(await h.request('POST', '/rent_twilio_number', { key: b.key, body: { phone_number: phone } }), 409, 'conflict', 'number_not_in_pool', 'phone_number');

    const detached = await h.request('POST', '/detach_twilio_number', { key: a.key, body: { phone_number: phone } });
    expect(detached.status, JSON.stringify(detached.body)).toBe(200);
    expect(detached.body).toEqual({ number_id: rented.body.number_id, phone_number: phone, bot_id: null, released: false, returned_to_pool: true, removed: true });
    expect(await rowOf(phone)).toMatchObject({ account_id: null, bot_id: null });
    expect((await numbersOf(a.key)).data).toEqual([]);
    expect(await pool(b.key)).toContain(phone);
    expect(twilio.released).toHaveLength(0);

    // Back in the pool, another account rents the same row.
    const byB = await h.request('POST', '/rent_twilio_number', { key: b.key, body: { phone_number: phone } });
    expect(byB.status).toBe(200);
    expect(byB.body.number_id).toBe(rented.body.number_id);
    expect(byB.body.bot_id).toBeNull();
  });

  it('a number the platform does not own cannot be rented', async () => {
    const { key } = await tenant();
    expectError(await h.request('POST', '/rent_twilio_number', { key, body: { phone_number: randomUsNumber() } }), 409, 'conflict', 'number_not_in_pool', 'phone_number');
    expectInvalid(await h.request('POST', '/rent_twilio_number', { key, body: { phone_number: '+1 415 555' } }), 'phone_number', 'invalid_phone_number');
  });

  it('a purchased number is not in the pool', async () => {
    const { key } = await tenant();
    const number = await bought(key);
    const pool = (await h.request('GET', '/get_number_from_pool', { key, query: { limit: 200 } })).body.data.map((n: any) => n.phone_number);
    expect(pool).not.toContain(number.phone_number);
  });
});

describe('import_twilio_number', () => {
  it('checks the credentials with Twilio, points the number here, and stores the token encrypted', async () => {
    const { key, accountId } = await tenant();
    const own = twilio.addAccount();
    const phone = randomUsNumber();
    const atTwilio = twilio.addOwned(own.sid, phone);
    const res = await h.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: own.sid, auth_token: own.token } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ phone_number: phone, provider: 'twilio', source: 'imported', bot_id: null });
    expect(JSON.stringify(res.body)).not.toContain(own.token);
    expect(JSON.stringify(res.body)).not.toContain(own.sid);

    // Verified in that account with its own credentials, then pointed here.
    const lookup = twilioCalls('GET', '/IncomingPhoneNumbers.json')[0]!;
    expect(lookup).toMatchObject({ accountSid: own.sid, username: own.sid, authenticated: true });
    expect(lookup.params.PhoneNumber).toBe(phone);
    expect(twilioCalls('POST', `/IncomingPhoneNumbers/${atTwilio.sid}.json`)[0]!.params).toMatchObject(HOOKS);

    const row = (await rowOf(phone))!;
    expect(row).toMatchObject({ account_id: accountId, twilio_account_sid: own.sid, provider_sid: atTwilio.sid });
    expect(row.twilio_auth_token_enc).toBeTruthy();
    expect(row.twilio_auth_token_enc).not.toBe(own.token);
    expect(row.twilio_auth_token_enc).not.toContain(own.token);
    expect(importedTwilioCredentials(h.config, row)).toEqual({ accountSid: own.sid, authToken: own.token });

    const audit = await h.deps.db.selectFrom('audit_logs').selectAll().where('account_id', '=', accountId).execute();
    expect(audit.map((a) => a.action)).toContain('phone_number.imported');
    expect(JSON.stringify(audit)).not.toContain(own.token);
    expect(JSON.stringify((await numbersOf(key)).data)).not.toContain(own.token);
  });

  it('importing again takes a rotated token and keeps the bot', async () => {
    const { key, botId } = await tenant();
    const own = twilio.addAccount();
    const phone = randomUsNumber();
    twilio.addOwned(own.sid, phone);
    const first = await h.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: own.sid, auth_token: own.token } });
    await h.request('POST', '/assign_phone_number', { key, body: { phone_number: phone, bot_id: botId } });
    const rotated = twilio.addAccount(own.sid, 'rotated-token-0001');
    const again = await h.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: own.sid, auth_token: rotated.token } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ number_id: first.body.number_id, bot_id: botId });
    expect(importedTwilioCredentials(h.config, (await rowOf(phone))!)!.authToken).toBe('rotated-token-0001');
  });

  it('refuses credentials Twilio refuses, and a number that is not in that account; stores nothing', async () => {
    const { key } = await tenant();
    const own = twilio.addAccount();
    const phone = randomUsNumber();
    twilio.addOwned(own.sid, phone);
    const wrong = await h.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: own.sid, auth_token: 'wrong-token-123' } });
    expectError(wrong, 422, 'unprocessable', 'invalid_twilio_credentials', 'auth_token');
    expect(JSON.stringify(wrong.body)).not.toContain('wrong-token-123');
    const elsewhere = randomUsNumber();
    expectError(
      await h.request('POST', '/import_twilio_number', { key, body: { phone_number: elsewhere, account_sid: own.sid, auth_token: own.token } }),
      422, 'unprocessable', 'number_not_in_twilio_account', 'phone_number',
    );
    expect(await rowOf(phone)).toBeUndefined();
    expect(await rowOf(elsewhere)).toBeUndefined();
    expect(twilio.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('validates account_sid, auth_token and phone_number', async () => {
    const { key } = await tenant();
    const body = { phone_number: randomUsNumber(), account_sid: `AC${'0'.repeat(32)}`, auth_token: 'token-12345' };
    expectInvalid(await h.request('POST', '/import_twilio_number', { key, body: { ...body, account_sid: 'SK123' } }), 'account_sid');
    expectInvalid(await h.request('POST', '/import_twilio_number', { key, body: { ...body, auth_token: undefined } }), 'auth_token', 'missing_parameter');
    expectInvalid(await h.request('POST', '/import_twilio_number', { key, body: { ...body, phone_number: '+999' } }), 'phone_number', 'invalid_phone_number');
    expectInvalid(await h.request('POST', '/import_twilio_number', { key, body: { ...body, bot_id: 'bot_x' } }), 'bot_id', 'unknown_parameter');
    expect(twilio.requests).toHaveLength(0);
  });

  it('a number another account holds cannot be imported', async () => {
    const a = await tenant();
    const b = await tenant();
    const number = await bought(a.key);
    const own = twilio.addAccount();
    twilio.addOwned(own.sid, number.phone_number);
    expectError(
      await h.request('POST', '/import_twilio_number', { key: b.key, body: { phone_number: number.phone_number, account_sid: own.sid, auth_token: own.token } }),
      409, 'conflict', 'number_not_available', 'phone_number',
    );
  });
});

describe('assign_phone_number', () => {
  it('routes a number to one bot at a time; assigning elsewhere moves it', async () => {
    const { key, botId } = await tenant();
    const second = (await h.createBot(key, { name: 'Second' })).bot_id as string;
    const number = await bought(key);
    const toA = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: number.phone_number, bot_id: botId } });
    expect(toA.status, JSON.stringify(toA.body)).toBe(200);
    expect(toA.body).toMatchObject({ number_id: number.number_id, bot_id: botId, capabilities: { sms: true, voice: true } });
    const toB = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: number.phone_number, bot_id: second, voice: false } });
    expect(toB.body).toMatchObject({ bot_id: second, capabilities: { sms: true, voice: false } });
    expect((await numbersOf(key, { bot_id: botId })).data).toEqual([]);
    expect((await numbersOf(key, { bot_id: second })).data.map((n: any) => n.number_id)).toEqual([number.number_id]);
  });

  it('another account\'s number or bot is a 404; a bad number a 400; a provider that does not match a 409', async () => {
    const a = await tenant();
    const b = await tenant();
    const number = await bought(a.key);
    expectError(await h.request('POST', '/assign_phone_number', { key: b.key, body: { phone_number: number.phone_number, bot_id: b.botId } }), 404, 'not_found', 'phone_number_not_found', 'phone_number');
    expectError(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: number.phone_number, bot_id: b.botId } }), 404, 'not_found', 'bot_not_found', 'bot_id');
    expectError(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: randomUsNumber(), bot_id: a.botId } }), 404, 'not_found', 'phone_number_not_found', 'phone_number');
    expectInvalid(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: '555-0123', bot_id: a.botId } }), 'phone_number', 'invalid_phone_number');
    expectInvalid(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: number.phone_number } }), 'bot_id', 'missing_parameter');
    expectInvalid(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: number.phone_number, bot_id: a.botId, provider: 'vonage' } }), 'provider');
    expectError(await h.request('POST', '/assign_phone_number', { key: a.key, body: { phone_number: number.phone_number, bot_id: a.botId, provider: 'sinch' } }), 409, 'conflict', 'provider_mismatch', 'provider');
    expect((await rowOf(number.phone_number))!.bot_id).toBeNull();
  });

  it('with provider "sinch" registers a Sinch number for the account (SMS only, as only Sinch SMS is configured)', async () => {
    const { key, accountId, botId } = await tenant();
    const phone = randomUsNumber('212');
    const res = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: phone, bot_id: botId, provider: 'sinch' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ phone_number: phone, provider: 'sinch', source: 'sinch', bot_id: botId, capabilities: { sms: true, voice: false } });
    expect(await rowOf(phone)).toMatchObject({ account_id: accountId, provider: 'sinch', source: 'sinch' });
    expect(twilio.requests).toHaveLength(0);

    expectError(await h.request('POST', '/assign_phone_number', { key, body: { phone_number: randomUsNumber('212'), bot_id: botId, provider: 'sinch', voice: true } }), 422, 'unprocessable', 'sinch_voice_not_configured', 'voice');

    // Registered, it is assigned like any number of the account; another account cannot take it.
    const second = (await h.createBot(key, { name: 'Second' })).bot_id as string;
    const moved = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: phone, bot_id: second } });
    expect(moved.body).toMatchObject({ number_id: res.body.number_id, bot_id: second, provider: 'sinch' });
    const other = await tenant();
    expectError(await h.request('POST', '/assign_phone_number', { key: other.key, body: { phone_number: phone, bot_id: other.botId, provider: 'sinch' } }), 409, 'conflict', 'number_not_available', 'phone_number');
    expect((await rowOf(phone))!.account_id).toBe(accountId);
  });
});

describe('detach_twilio_number', () => {
  it('stops routing a purchased number and keeps it; release: true gives it back to Twilio', async () => {
    const { key, botId } = await tenant();
    const number = await bought(key, botId);
    const detached = await h.request('POST', '/detach_twilio_number', { key, body: { phone_number: number.phone_number } });
    expect(detached.body).toEqual({ number_id: number.number_id, phone_number: number.phone_number, bot_id: null, released: false, returned_to_pool: false, removed: false });
    expect((await numbersOf(key)).data[0]).toMatchObject({ number_id: number.number_id, bot_id: null });
    expect(twilio.released).toHaveLength(0);

    const sid = (await rowOf(number.phone_number))!.provider_sid;
    const released = await h.request('POST', '/detach_twilio_number', { key, body: { phone_number: number.phone_number, release: true } });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body).toMatchObject({ released: true, removed: true, returned_to_pool: false });
    expect(twilioCalls('DELETE', `/IncomingPhoneNumbers/${sid}.json`)).toHaveLength(1);
    expect(twilio.released.map((n) => n.phone_number)).toEqual([number.phone_number]);
    expect(await rowOf(number.phone_number)).toBeUndefined();
    expect((await numbersOf(key)).data).toEqual([]);
  });

  it('release: true on an imported number forgets it and its credentials without touching the customer\'s Twilio', async () => {
    const { key } = await tenant();
    const own = twilio.addAccount();
    const phone = randomUsNumber();
    twilio.addOwned(own.sid, phone);
    await h.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: own.sid, auth_token: own.token } });
    twilio.reset();
    const res = await h.request('POST', '/detach_twilio_number', { key, body: { phone_number: phone, release: true } });
    expect(res.body).toMatchObject({ released: false, removed: true, returned_to_pool: false });
    expect(await rowOf(phone)).toBeUndefined();
    expect(twilio.requests).toHaveLength(0);
    expect(twilio.numbersOf(own.sid).map((n) => n.phone_number)).toContain(phone);
  });

  it('another account\'s number is a 404 and stays as it was; a bad number a 400', async () => {
    const a = await tenant();
    const b = await tenant();
    const number = await bought(a.key, a.botId);
    expectError(await h.request('POST', '/detach_twilio_number', { key: b.key, body: { phone_number: number.phone_number, release: true } }), 404, 'not_found', 'phone_number_not_found', 'phone_number');
    expect(await rowOf(number.phone_number)).toMatchObject({ account_id: a.accountId, bot_id: a.botId });
    expect(twilio.released).toHaveLength(0);
    expectInvalid(await h.request('POST', '/detach_twilio_number', { key: a.key, body: { phone_number: 'call me' } }), 'phone_number', 'invalid_phone_number');
    expectInvalid(await h.request('POST', '/detach_twilio_number', { key: a.key, body: { phone_number: number.phone_number, release: 'yes' } }), 'release');
  });

  it('a release Twilio fails keeps the number, and says it was Twilio', async () => {
    const { key } = await tenant();
    const number = await bought(key);
    twilio.failNext({ code: 20500, status: 500, message: 'Internal Server Error' });
    expectError(await h.request('POST', '/detach_twilio_number', { key, body: { phone_number: number.phone_number, release: true } }), 502, 'provider_error');
    expect(await rowOf(number.phone_number)).toBeTruthy();
  });
});

describe('without Twilio, Sinch or PUBLIC_URL configured', () => {
  it('the Twilio endpoints answer a 422 naming the settings, and never pretend', async () => {
    const { key, botId } = await tenant(bare);
    const phone = randomUsNumber();
    for (const res of [
      await bare.request('GET', '/search_for_twilio_number', { key }),
      await bare.request('GET', '/get_number_from_pool', { key }),
      await bare.request('POST', '/purchase_twilio_number', { key, body: { phone_number: phone } }),
      await bare.request('POST', '/rent_twilio_number', { key, body: { phone_number: phone, bot_id: botId } }),
    ]) {
      expectError(res, 422, 'unprocessable', 'twilio_not_configured');
      expect(res.body.error.message).toContain('TWILIO_ACCOUNT_SID');
    }
    const imported = await bare.request('POST', '/import_twilio_number', { key, body: { phone_number: phone, account_sid: `AC${'1'.repeat(32)}`, auth_token: 'token-12345' } });
    expectError(imported, 422, 'unprocessable', 'public_url_not_configured');
    expect(imported.body.error.message).toContain('PUBLIC_URL');
    const sinchRes = await bare.request('POST', '/assign_phone_number', { key, body: { phone_number: phone, bot_id: botId, provider: 'sinch' } });
    expectError(sinchRes, 422, 'unprocessable', 'sinch_not_configured', 'provider');
    expect(sinchRes.body.error.message).toContain('SINCH_SMS_SERVICE_PLAN_ID');
    expect((await bare.request('GET', '/get_phone_numbers', { key })).body).toEqual({ data: [], next_cursor: null });
    expect(twilio.requests).toHaveLength(0);
  });

  it('another account\'s bot is still a 404 (tenancy comes before configuration)', async () => {
    const { key } = await tenant(bare);
    const other = await tenant(bare);
    const body = { phone_number: randomUsNumber(), bot_id: other.botId };
    for (const res of [
      await bare.request('GET', '/get_phone_numbers', { key, query: { bot_id: other.botId } }),
      await bare.request('POST', '/purchase_twilio_number', { key, body }),
      await bare.request('POST', '/rent_twilio_number', { key, body }),
      await bare.request('POST', '/assign_phone_number', { key, body }),
      await bare.request('POST', '/assign_phone_number', { key, body: { ...body, provider: 'sinch' } }),
    ]) {
      expectError(res, 404, 'not_found', 'bot_not_found', 'bot_id');
    }
  });

  it('every endpoint needs an admin key', async () => {
    for (const [method, url] of [['GET', '/get_phone_numbers'], ['GET', '/search_for_twilio_number'], ['GET', '/get_number_from_pool'], ['POST', '/purchase_twilio_number'], ['POST', '/import_twilio_number'], ['POST', '/rent_twilio_number'], ['POST', '/assign_phone_number'], ['POST', '/detach_twilio_number']] as const) {
      expectError(await h.request(method, url, method === 'POST' ? { body: {} } : {}), 401, 'unauthenticated');
    }
  });
});

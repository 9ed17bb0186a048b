import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { expectError } from './support/assertions.js';
import { botWithKey } from './support/conversation.js';
import { randomUsNumber, startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { startFakeStripe, stripeEnv, writePlansFile, type FakeStripe } from './support/fake-stripe.js';
import { page, startFakeSite, type FakeSite } from './support/fake-site.js';
import { waitUntil } from './support/wait.js';

// Plan limits where the work happens, on a small free plan from PLANS_FILE: bots, phone numbers,
// knowledge bytes and monthly bot replies, each refused with a 402 naming the limit and the plan;
// and the 80 % / 100 % usage notifications, each sent once. (Call minutes: billing-voice.test.ts.)

const FREE = { messages_per_month: 5, bots: 2, phone_numbers: 1, knowledge_mb: 1, call_minutes_per_month: null };
const PUBLIC_URL = 'https://sinth.example.com';

let stripe: FakeStripe;
let twilio: FakeTwilio;
let h: Harness;
let site: FakeSite;
let webUrl: string;
beforeAll(async () => {
  stripe = await startFakeStripe();
  twilio = await startFakeTwilio();
  // Each big resource is about 0.4-0.7 MB: two fit the 1 MB plan, three do not.
  const text = (word: string) => `${word} `.repeat(400_000 / (word.length + 1));
  site = await startFakeSite({
    '/big.md': { headers: { 'content-type': 'text/markdown' }, body: `# Notes\n\n${'All about the harbour. '.repeat(30_000)}\n` },
    '/site/': { body: page('Home', 'Welcome.', ['/site/a', '/site/b', '/site/c']) },
    '/site/a': { body: page('A', text('anchor')) },
    '/site/b': { body: page('B', text('buoy')) },
    '/site/c': { body: page('C', text('compass')) },
    '/feed.csv': { headers: { 'content-type': 'text/csv' }, body: `name,notes\n${Array.from({ length: 3000 }, (_, i) => `item ${i},${'x'.repeat(400)}`).join('\n')}\n` },
  });
  webUrl = site.origin;
  h = await startHarness({
    ...stripeEnv(stripe, writePlansFile(FREE)),
    TWILIO_ACCOUNT_SID: twilio.account.sid,
    TWILIO_AUTH_TOKEN: twilio.account.token,
    TWILIO_API_BASE_URL: twilio.url,
    PUBLIC_URL,
    ALLOW_PRIVATE_URLS: 'true',
    CRAWL_DELAY_MS: '0',
  });
});
afterAll(async () => {
  await h.close();
  await Promise.all([stripe.close(), twilio.close(), site.close()]);
});

const usage = async (key: string) => (await h.request('GET', '/get_usage', { key })).body;
const thresholds = (accountId: string) =>
  h.database.db.selectFrom('outbox_events').select('payload').where('account_id', '=', accountId).where('type', '=', 'usage.threshold').orderBy('id').execute().then((rows) => rows.map((r) => (r.payload as any).data));

describe('bots', () => {
  it('refuses a bot past the plan\'s limit with a 402 naming the limit and the plan', async () => {
    const { key } = await h.signup();
    await h.createBot(key, { name: 'One' });
    await h.createBot(key, { name: 'Two' });
    const res = await h.request('POST', '/create_bot', { key, body: { name: 'Three' } });
    expectError(res, 402, 'plan_limit', 'bots_limit_reached');
    expect(res.body.error.message).toBe('Plan limit bots reached: the Free plan allows 2 bots and this account has 2 bots. Move to a bigger plan (get_plans, create_checkout_session) or delete a bot.');
    expect((await h.request('GET', '/get_bots', { key })).body.data).toHaveLength(2);
    // A deleted bot frees its place.
    const bots = (await h.request('GET', '/get_bots', { key })).body.data;
    expect((await h.request('POST', '/delete_bot', { key, body: { bot_id: bots[0].bot_id } })).status).toBe(200);
    expect((await h.request('POST', '/create_bot', { key, body: { name: 'Three' } })).status).toBe(200);
  });
});

describe('phone numbers', () => {
  it('refuses a new number past the limit (a sandbox registration, a purchase before Twilio is asked), not a reassignment', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Numbers' });
    const first = randomUsNumber();
    expect((await h.request('POST', '/assign_phone_number', { key, body: { phone_number: first, bot_id: botId, provider: 'sandbox' } })).status).toBe(200);
    const second = await h.request('POST', '/assign_phone_number', { key, body: { phone_number: randomUsNumber(), bot_id: botId, provider: 'sandbox' } });
    expectError(second, 402, 'plan_limit', 'phone_numbers_limit_reached');
    expect(second.body.error.message).toContain('the Free plan allows 1 phone number');
    // Already the account's: assigning it again is no new number.
    expect((await h.request('POST', '/assign_phone_number', { key, body: { phone_number: first, bot_id: botId, provider: 'sandbox', sms: true } })).status).toBe(200);

    const offered = randomUsNumber();
    twilio.addAvailable({ phoneNumber: offered, country: 'US', type: 'local' });
    const bought = await h.request('POST', '/purchase_twilio_number', { key, body: { phone_number: offered } });
    expectError(bought, 402, 'plan_limit', 'phone_numbers_limit_reached');
    expect(twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/IncomingPhoneNumbers.json'))).toEqual([]);
    expect((await h.request('GET', '/get_phone_numbers', { key })).body.data.map((n: any) => n.phone_number)).toEqual([first]);
  });

  it('refuses renting from the pool and importing past the limit, before the number is touched', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Renter' });
    expect((await h.request('POST', '/assign_phone_number', { key, body: { phone_number: randomUsNumber(), bot_id: botId, provider: 'sandbox' } })).status).toBe(200);
    const pooled = randomUsNumber();
    twilio.addOwned(twilio.account.sid, pooled, { sms_url: 'https://old.example.com/sms' });
    expectError(await h.request('POST', '/rent_twilio_number', { key, body: { phone_number: pooled } }), 402, 'plan_limit', 'phone_numbers_limit_reached');
    expect(twilio.numbersOf(twilio.account.sid).find((n) => n.phone_number === pooled)?.sms_url).toBe('https://old.example.com/sms');

    const own = twilio.addAccount();
    const mine = randomUsNumber();
    twilio.addOwned(own.sid, mine);
    expectError(await h.request('POST', '/import_twilio_number', { key, body: { phone_number: mine, account_sid: own.sid, auth_token: own.token } }), 402, 'plan_limit', 'phone_numbers_limit_reached');
    expect(await h.database.db.selectFrom('phone_numbers').select('id').where('phone_number', 'in', [pooled, mine]).execute()).toEqual([]);
  });

  it('keeps one of two concurrent purchases for the last place, giving the other number back to Twilio', async () => {
    const { key } = await h.signup();
    const [a, b] = [randomUsNumber(), randomUsNumber()];
    twilio.addAvailable({ phoneNumber: a, country: 'US', type: 'local' }, { phoneNumber: b, country: 'US', type: 'local' });
    const answers = await Promise.all([a, b].map((phone) => h.request('POST', '/purchase_twilio_number', { key, body: { phone_number: phone } })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 402]);
    const held = (await h.request('GET', '/get_phone_numbers', { key })).body.data.map((n: any) => n.phone_number);
    expect(held).toHaveLength(1);
    // Whether or not the refused one was bought first, Twilio keeps only the one recorded.
    expect(twilio.numbersOf(twilio.account.sid).map((n) => n.phone_number).filter((p) => p === a || p === b)).toEqual(held);
  });
});

/** POST /upload of a markdown file to the bot. */
function upload(key: string, botId: string, content: Buffer, name: string) {
  const boundary = 'sinthbilling';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="bot_id"\r\n\r\n${botId}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/markdown\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return h.app.inject({ method: 'POST', url: '/upload', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'api-key': key } });
}
const mdFile = (n: number, fill: string) => Buffer.from(`# Notes ${n}\n\n${fill.repeat(600 * 1024 / fill.length)}`);

describe('knowledge', () => {
  it('notifies 100 % of knowledge_mb when an upload is refused, though usage never lands on the limit', async () => {
    const { key, botId, accountId } = await botWithKey(h, { name: 'Notified' });
    expect((await upload(key, botId, mdFile(1, 'harbour '), 'one.md')).statusCode).toBe(200);
    expect(await thresholds(accountId)).toEqual([]); // 0.59 MB of 1: under 80 %
    expect((await upload(key, botId, mdFile(2, 'lighthouse '), 'two.md')).statusCode).toBe(402);
    const sent = await waitUntil(() => thresholds(accountId), (t) => t.length > 0, 'the usage notice');
    expect(sent.map((t) => [t.limit, t.threshold, t.used, t.limit_value, t.plan_id])).toEqual([['knowledge_mb', 100, 1, 1, 'free']]);
    // 80 % is passed too: recorded, not sent on its own (one notice for one leap).
    const alerts = await h.database.db.selectFrom('usage_alerts').select('threshold').where('account_id', '=', accountId).orderBy('threshold').execute();
    expect(alerts).toEqual([{ threshold: 80 }, { threshold: 100 }]);
    expect((await upload(key, botId, mdFile(3, 'anchor '), 'three.md')).statusCode).toBe(402);
    expect(await thresholds(accountId)).toHaveLength(1);
  });

  it('refuses an upload that would pass knowledge_mb, and new sources once no room is left', async () => {
    const { key, botId, accountId } = await botWithKey(h, { name: 'Library' });
    const file = mdFile;
    const send = (content: Buffer, name: string) => upload(key, botId, content, name);
    expect((await send(file(1, 'harbour '), 'one.md')).statusCode).toBe(200);
    const over = await send(file(2, 'lighthouse '), 'two.md');
    expect(over.statusCode).toBe(402);
    expect(over.json().error).toMatchObject({ type: 'plan_limit', code: 'knowledge_mb_limit_reached' });
    expect(over.json().error.message).toContain('the Free plan allows 1 MB of knowledge and this account has 0.59 MB');

    // Room is left, but a fetched file bigger than it fails its source, saying why.
    const fetched = await h.request('POST', '/upload_bubble', { key, body: { bot_id: botId, url: `${webUrl}/big.md` } });
    expect(fetched.status).toBe(200);
    const failed = await waitUntil(() => h.request('GET', '/get_filenames', { key, query: { bot_id: botId } }).then((r) => r.body.data.find((f: any) => f.file_id === fetched.body.source_id)), (f) => f?.status === 'failed', 'the fetched file to fail');
    expect(failed.error).toContain('Plan limit knowledge_mb reached');

    // At the limit, nothing new is started.
    await h.database.db.updateTable('knowledge_sources').set({ bytes: 1024 * 1024 }).where('account_id', '=', accountId).where('filename', '=', 'one.md').execute();
    for (const [url, body] of [['/upload_bubble', { url: `${webUrl}/a.md` }], ['/scrape_website', { url: webUrl }], ['/add_feed', { url: `${webUrl}/feed.csv` }]] as const) {
      expectError(await h.request('POST', url, { key, body: { bot_id: botId, ...body } }), 402, 'plan_limit', 'knowledge_mb_limit_reached');
    }
    expect((await usage(key)).limits.knowledge_mb).toEqual({ used: 1, limit: 1, percent: 100 });
  });

  it('stops a crawl, and fails a feed, whose fetched content would pass the limit', async () => {
    const { key, botId, accountId } = await botWithKey(h, { name: 'Crawler' });
    const settled = (id: string) =>
      waitUntil(() => h.database.db.selectFrom('knowledge_sources').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow(), (s) => s.status === 'ready' || s.status === 'failed', `source ${id}`);
    const crawl = await h.request('POST', '/scrape_website', { key, body: { bot_id: botId, url: `${webUrl}/site/` } });
    expect(crawl.status).toBe(200);
    const crawled = await settled(crawl.body.source_id);
    expect(crawled.status).toBe('failed');
    expect(crawled.error).toContain('Plan limit knowledge_mb reached');
    const pages = await h.database.db.selectFrom('knowledge_sources').select(['url', 'bytes']).where('account_id', '=', accountId).where('kind', '=', 'page').execute();
    expect(pages.length).toBeGreaterThanOrEqual(2); // the home page and a big one at least
    expect(pages.length).toBeLessThan(4); // not all three big pages
    expect(pages.reduce((n, p) => n + Number(p.bytes), 0)).toBeLessThanOrEqual(1024 * 1024);

    const { key: key2, botId: bot2 } = await botWithKey(h, { name: 'Feeder' });
    const feed = await h.request('POST', '/add_feed', { key: key2, body: { bot_id: bot2, url: `${webUrl}/feed.csv` } });
    expect(feed.status).toBe(200);
    const fed = await settled(feed.body.feed_id);
    expect(fed).toMatchObject({ status: 'failed', error: expect.stringContaining('Plan limit knowledge_mb reached') });
    expect(await h.database.db.selectFrom('knowledge_chunks').select('source_id').where('source_id', '=', feed.body.feed_id).execute()).toEqual([]);
  });
});

describe('bot replies', () => {
  it('answers up to the monthly quota, then refuses with a 402 and keeps nothing; a human who took over still gets messages', async () => {
    const { key, accountId, botId, say } = await botWithKey(h, { name: 'Chatty' });
    for (let i = 0; i < 5; i++) expect((await say('fan-1', `question ${i}`)).status).toBe(200);
    const refused = await say('fan-1', 'one more');
    expectError(refused, 402, 'plan_limit', 'messages_per_month_limit_reached');
    expect(refused.body.error.message).toContain('the Free plan allows 5 bot replies a month');
    const stored = await h.database.db.selectFrom('messages').select('content').where('account_id', '=', accountId).where('content', '=', 'one more').execute();
    expect(stored).toEqual([]);
    expect((await usage(key)).limits.messages_per_month).toEqual({ used: 5, limit: 5, percent: 100 });

    expect((await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: botId, enabled: false } })).status).toBe(200);
    const toHuman = await say('fan-1', 'is anyone there?');
    expect(toHuman.status).toBe(200);
    expect(toHuman.body).toMatchObject({ reply: null, takeover: true });
  });

  it('notifies usage at 80 % and at 100 % of the quota, once each this period', async () => {
    const { accountId, say } = await botWithKey(h, { name: 'Counted' });
    for (let i = 0; i < 3; i++) await say('fan-2', `hello ${i}`);
    expect(await thresholds(accountId)).toEqual([]);
    await say('fan-2', 'fourth'); // 4 of 5
    await say('fan-2', 'fifth'); // 5 of 5
    await say('fan-2', 'sixth'); // refused
    await say('fan-2', 'seventh'); // refused
    const sent = await thresholds(accountId);
    expect(sent.map((t) => [t.limit, t.threshold, t.used, t.limit_value, t.plan_id])).toEqual([
      ['messages_per_month', 80, 4, 5, 'free'],
      ['messages_per_month', 100, 5, 5, 'free'],
    ]);
    const alerts = await h.database.db.selectFrom('usage_alerts').select(['limit_name', 'threshold']).where('account_id', '=', accountId).orderBy('threshold').execute();
    expect(alerts).toEqual([{ limit_name: 'messages_per_month', threshold: 80 }, { limit_name: 'messages_per_month', threshold: 100 }]);
  });
});

describe('get_usage', () => {
  it('shows the period\'s usage of each limit against the plan', async () => {
    const { key, botId } = await botWithKey(h, { name: 'Measured' });
    await h.request('POST', '/assign_phone_number', { key, body: { phone_number: randomUsNumber(), bot_id: botId, provider: 'sandbox' } });
    const body = await usage(key);
    expect(body.plan_id).toBe('free');
    expect(body.limits).toEqual({
      messages_per_month: { used: 0, limit: 5, percent: 0 },
      bots: { used: 1, limit: 2, percent: 50 },
      phone_numbers: { used: 1, limit: 1, percent: 100 },
      knowledge_mb: { used: 0, limit: 1, percent: 0 },
      call_minutes_per_month: { used: 0, limit: null, percent: null },
    });
  });
});

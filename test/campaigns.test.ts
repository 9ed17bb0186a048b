import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { waitUntil } from './support/wait.js';
import { addEndUsers, campaignSender, phoneNumbers as numbers, type UserSpec } from './support/campaigns.js';
import { newId } from '../src/core/ids.js';
import { setCampaignClock } from '../src/features/campaigns/clock.js';
import { resumeCampaigns } from '../src/features/campaigns/jobs.js';
import { sendKeyOf } from '../src/features/campaigns/lifecycle.js';
import { GIVE_UP_AFTER_MS, LOST_SEND_MARGIN_SECONDS } from '../src/features/sms/reconcile-service.js';

// Bulk campaigns end to end: the API, the server's own worker sending through the SMS send service to
// a fake Twilio (a real HTTP server: every text counted where the provider would count it), skips,
// templates, audiences, schedules, quiet hours at an injected time, the per-number rate, cancel.

let fake: FakeTwilio;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeTwilio();
  h = await startHarness({ TWILIO_ACCOUNT_SID: fake.account.sid, TWILIO_AUTH_TOKEN: fake.account.token, TWILIO_API_BASE_URL: fake.url });
});
afterAll(async () => {
  await h.close();
  await fake.close();
});
afterEach(() => setCampaignClock(null));

const sender = () => campaignSender(h, fake);
const addUsers = (s: { accountId: string; botId: string }, specs: UserSpec[]) => addEndUsers(h, s, specs);

const send = (key: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  h.request('POST', '/send_bulk_messages', { key, body: { channel: 'sms', quiet_hours: false, rate_per_second: 1000, ...body }, ...(headers ? { headers } : {}) });
const get = (key: string, id: string) => h.request('GET', '/get_bulk_campaign', { key, query: { campaign_id: id } });

const finished = (key: string, id: string) => waitUntil(async () => (await get(key, id)).body, (c) => c.status === 'completed' || c.status === 'canceled', `campaign ${id} to finish`);
/** Texts the fake provider took from this number, by recipient. */
const textsFrom = (from: string) => fake.sent.filter((m) => m.from === from);
function perRecipient(from: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of textsFrom(from)) m.set(t.to, (m.get(t.to) ?? 0) + 1);
  return m;
}
const skippedTotal = (c: any) => Object.values(c.counts.skipped as Record<string, number>).reduce((a, b) => a + b, 0);
function expectBalanced(c: any) {
  const n = c.counts;
  expect(n.pending + n.sending + n.sent + n.failed + skippedTotal(c) + n.canceled).toBe(n.total);
}

describe('a campaign to 1,000 users', () => {
  it('texts each reachable user exactly once: 10 opted out and 5 blocked are skipped, 985 sent', { timeout: 180_000 }, async () => {
    const s = await sender();
    const phones = numbers(1000);
    const users = await addUsers(s, phones.map((phone, i) => ({ phone, name: `Fan ${i}`, opted_out: i < 10 })));
    // Opt-outs as STOP leaves them: the user flagged and the number on the account's suppression list.
    await h.deps.db.insertInto('suppressions').values(phones.slice(0, 10).map((phone) => ({ account_id: s.accountId, phone, reason: 'keyword' }))).execute();
    for (const u of users.slice(10, 15)) {
      expect((await h.request('POST', '/block_user', { key: s.key, body: { bot_id: s.botId, user_id: u.user_id, blocked: true } })).status).toBe(200);
    }

    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Hi {{name}}, the tour is on!' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'queued', recipients: 1000, unmatched_user_ids: 0 });
    const c = await finished(s.key, res.body.campaign_id);

    expect(c.status).toBe('completed');
    expect(c.counts).toMatchObject({ total: 1000, sent: 985, pending: 0, deferred: 0, sending: 0, failed: 0, canceled: 0 });
    expect(c.counts.skipped).toEqual({ opted_out: 10, blocked: 5, age_gate: 0, no_phone: 0, suppressed: 0 });
    expectBalanced(c);

    const got = perRecipient(s.from);
    expect(textsFrom(s.from)).toHaveLength(985);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    expect(phones.slice(15).every((p) => got.get(p) === 1)).toBe(true);
    expect(phones.slice(0, 15).some((p) => got.has(p))).toBe(false);
    expect(textsFrom(s.from).find((t) => t.to === phones[42])?.body).toBe('Hi Fan 42, the tour is on!');

    const rows = await h.deps.db.selectFrom('sms_messages').select(['send_key', 'campaign_id']).where('campaign_id', '=', c.campaign_id).execute();
    // One row per reachable user, under that user's send key.
    expect(rows.map((r) => r.send_key).sort()).toEqual(users.slice(15).map((u) => `campaign:${c.campaign_id}:${u.id}`).sort());
    const events = await h.deps.db.selectFrom('outbox_events').select('payload').where('account_id', '=', s.accountId).where('type', '=', 'campaign.finished').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ data: { campaign_id: c.campaign_id, status: 'completed', counts: { sent: 985 } } });
  });
});

describe('templates', () => {
  it('fills names and attributes, uses defaults for missing values and never sends a raw placeholder', async () => {
    const s = await sender();
    const phones = numbers(4);
    await addUsers(s, [
      { phone: phones[0], name: 'Ana', attributes: { city: 'Lisbon', code: 'A1' } },
      { phone: phones[1], name: null, attributes: { city: 'Porto' } },
      { phone: phones[2], name: 'Bo', attributes: { code: 7 } },
      { phone: phones[3], name: null, attributes: {} },
    ]);
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Hi {{name}}! Code {{ code | none }}, see you in {{city}}.' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await finished(s.key, res.body.campaign_id);
    const body = (to: string) => textsFrom(s.from).find((t) => t.to === to)?.body;
    expect(body(phones[0]!)).toBe('Hi Ana! Code A1, see you in Lisbon.');
    expect(body(phones[1]!)).toBe('Hi there! Code none, see you in Porto.');
    expect(body(phones[2]!)).toBe('Hi Bo! Code 7, see you in.');
    expect(body(phones[3]!)).toBe('Hi there! Code none, see you in.');
    expect(textsFrom(s.from).some((t) => t.body.includes('{{'))).toBe(false);
  });

  it('refuses a bad template with a 400 naming each bad placeholder', async () => {
    const s = await sender();
    await addUsers(s, [{ phone: numbers(1)[0] }]);
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Hi {{first name}} {{}} {{name|a{b}} and {{city' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_template', param: 'message' });
    expect(res.body.error.message).toContain('{{first name}}');
    expect(res.body.error.message).toContain('{{}}');
    expect(res.body.error.message).toContain('{{city');
  });
});

describe('audiences', () => {
  it('by user ids (unknown ones counted), by tags (any of), or all; an empty one is a 422', async () => {
    const s = await sender();
    const phones = numbers(5);
    await addUsers(s, [
      { phone: phones[0], tags: ['vip'] },
      { phone: phones[1], tags: ['vip', 'eu'] },
      { phone: phones[2], tags: ['eu'] },
      { phone: phones[3], tags: ['us'] },
      { phone: phones[4] },
    ]);
    const recipients = async (audience: Record<string, unknown>) => {
      fake.reset();
      fake.addOwned(fake.account.sid, s.from);
      const res = await send(s.key, { bot_id: s.botId, audience, message: 'hello' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      await finished(s.key, res.body.campaign_id);
      return { res: res.body, to: textsFrom(s.from).map((t) => t.to).sort() };
    };
    const byIds = await recipients({ user_ids: ['u0', 'u3', 'u3', 'nobody'] });
    expect(byIds.res).toMatchObject({ recipients: 2, unmatched_user_ids: 1 });
    expect(byIds.to).toEqual([phones[0], phones[3]].sort());
    expect((await recipients({ tags: ['vip', 'eu'] })).to).toEqual([phones[0], phones[1], phones[2]].sort());
    expect((await recipients({ all: true })).to).toEqual([...phones].sort());

    const empty = await send(s.key, { bot_id: s.botId, audience: { tags: ['nobody-has-this'] }, message: 'hello' });
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe('empty_audience');
    const two = await send(s.key, { bot_id: s.botId, audience: { all: true, tags: ['vip'] }, message: 'hello' });
    expect(two.status).toBe(400);
  });
});

describe('tenancy, idempotency and the SMS route', () => {
  it('another account\'s bot or campaign is a 404; a retried request makes one campaign; a bot without a number is a 422', async () => {
    const s = await sender();
    await addUsers(s, [{ phone: numbers(1)[0] }]);
    const other = await h.signup();
    expect((await send(other.key, { bot_id: s.botId, audience: { all: true }, message: 'x' })).status).toBe(404);

    const headers = { 'Idempotency-Key': `camp-${newId('req')}` };
    const first = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'once' }, headers);
    const again = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'once' }, headers);
    expect(first.status).toBe(200);
    expect(again.body.campaign_id).toBe(first.body.campaign_id);
    expect(await h.deps.db.selectFrom('campaigns').select('id').where('bot_id', '=', s.botId).execute()).toHaveLength(1);

    expect((await get(other.key, first.body.campaign_id)).status).toBe(404);
    expect((await h.request('POST', '/cancel_bulk_campaign', { key: other.key, body: { campaign_id: first.body.campaign_id } })).status).toBe(404);
    await finished(s.key, first.body.campaign_id);

    const bare = await h.createBot(s.key);
    const noRoute = await send(s.key, { bot_id: bare.bot_id, audience: { all: true }, message: 'x' });
    expect(noRoute.status).toBe(422);
    expect(noRoute.body.error.code).toBe('no_sms_number');
  });
});

describe('checks at send time', () => {
  it('skips users without a phone, and unverified users when the bot has an age gate', async () => {
    const s = await sender();
    const phones = numbers(3);
    await addUsers(s, [{ phone: phones[0], age_verified: true }, { phone: phones[1] }, { phone: null, age_verified: true }, { phone: phones[2], age_verified: true }]);
    expect((await h.request('POST', '/edit_policy', { key: s.key, body: { bot_id: s.botId, policy: { age_gate: true } } })).status).toBe(200);
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'For adults' });
    const c = await finished(s.key, res.body.campaign_id);
    expect(c.counts).toMatchObject({ total: 4, sent: 2 });
    expect(c.counts.skipped).toMatchObject({ age_gate: 1, no_phone: 1 });
    expect(textsFrom(s.from).map((t) => t.to).sort()).toEqual([phones[0], phones[2]].sort());
  });

  it('a provider refusal is a failure, counted, not retried', async () => {
    const s = await sender();
    const phones = numbers(3);
    await addUsers(s, phones.map((phone) => ({ phone })));
    fake.failNextSend({ code: 21211, message: 'invalid To' });
    const c = await finished(s.key, (await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'x' })).body.campaign_id);
    expect(c.counts).toMatchObject({ total: 3, sent: 2, failed: 1 });
    expect(textsFrom(s.from)).toHaveLength(2);
  });
});

describe('schedules and quiet hours (an injected campaign clock)', () => {
  // The campaign clock (features/campaigns/clock.ts) is what the dispatcher and the API read; the
  // sweep the cron runs each minute is called directly after moving it.
  const T = new Date('2025-06-10T07:00:00Z'); // 03:00 in New York, 08:00 in London, 00:00 in Los Angeles
  let now = T;
  beforeEach(() => {
    now = T;
    setCampaignClock(() => now);
  });

  it('schedule_at: nothing goes before the time; a STOP meanwhile is honoured; then it sends', async () => {
    const s = await sender();
    const phones = numbers(3, '212');
    await addUsers(s, phones.map((phone) => ({ phone })));
    const past = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'x', schedule_at: '2025-06-10T06:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.error.param).toBe('schedule_at');

    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Doors open', schedule_at: '2025-06-10T15:00:00Z' });
    expect(res.body.status).toBe('scheduled');
    expect(await resumeCampaigns(h.deps)).toBe(0);
    const waiting = (await get(s.key, res.body.campaign_id)).body;
    expect(waiting).toMatchObject({ status: 'scheduled', schedule_at: '2025-06-10T15:00:00.000Z', started_at: null, counts: { pending: 3, sent: 0 } });

    await h.deps.db.updateTable('end_users').set({ opted_out: true }).where('bot_id', '=', s.botId).where('phone', '=', phones[1]!).execute();
    now = new Date('2025-06-10T15:00:01Z');
    await waitUntil(() => resumeCampaigns(h.deps), (n) => n === 1, 'the sweep to start the campaign');
    const c = await finished(s.key, res.body.campaign_id);
    expect(c.counts).toMatchObject({ sent: 2, skipped: { opted_out: 1 } });
    expect(textsFrom(s.from).map((t) => t.to).sort()).toEqual([phones[0], phones[2]].sort());
  });

  it('defers recipients for whom it is night until 08:00 their time, and sends the others now', async () => {
    const s = await sender();
    const ny = numbers(3, '212');
    const london = ['+442079460001', '+442079460002'];
    await addUsers(s, [...ny, ...london].map((phone) => ({ phone })));
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Good morning', quiet_hours: true });
    const c = await waitUntil(async () => (await get(s.key, res.body.campaign_id)).body, (v) => v.counts.sent === 2 && v.counts.deferred === 3, 'London sent, New York deferred');
    expect(c).toMatchObject({ status: 'sending', next_send_at: '2025-06-10T12:00:00.000Z', counts: { pending: 3 } });
    expect(textsFrom(s.from).map((t) => t.to).sort()).toEqual([...london].sort());

    now = new Date('2025-06-10T11:59:00Z');
    await resumeCampaigns(h.deps);
    expect((await get(s.key, res.body.campaign_id)).body.counts.deferred).toBe(3);
    now = new Date('2025-06-10T12:00:00Z');
    // Once the dispatcher that deferred them has let go of the campaign, the sweep starts it again.
    await waitUntil(() => resumeCampaigns(h.deps), (n) => n === 1, 'the sweep to restart the campaign');
    const done = await finished(s.key, res.body.campaign_id);
    expect(done.counts).toMatchObject({ sent: 5, deferred: 0, pending: 0 });
    expect(perRecipient(s.from).size).toBe(5);
  });

  it('quiet_hours: false sends at night at once', async () => {
    const s = await sender();
    await addUsers(s, numbers(2, '212').map((phone) => ({ phone })));
    const c = await finished(s.key, (await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'now', quiet_hours: false })).body.campaign_id);
    expect(c.counts).toMatchObject({ sent: 2, deferred: 0 });
  });
});

describe('rate and cancel', () => {
  it('never sends more than rate_per_second from the number in any second of the clock', async () => {
    const s = await sender();
    await addUsers(s, numbers(6).map((phone) => ({ phone })));
    const c = await finished(s.key, (await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'paced', rate_per_second: 2 })).body.campaign_id);
    expect(c.counts.sent).toBe(6);
    const windows = await h.deps.db.selectFrom('rate_limit_counters').select(['window_start', 'count']).where('bucket', '=', `campaign-sms:${s.from}`).execute();
    expect(windows.reduce((a, w) => a + w.count, 0)).toBe(6);
    expect(Math.max(...windows.map((w) => w.count))).toBeLessThanOrEqual(2);
  });

  it('cancel stops what has not gone out, keeps what was sent, and is idempotent', async () => {
    const s = await sender();
    const phones = numbers(30);
    await addUsers(s, phones.map((phone) => ({ phone })));
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'slow', rate_per_second: 1 });
    await waitUntil(async () => (await get(s.key, res.body.campaign_id)).body, (v) => v.counts.sent >= 1, 'a first text');
    const canceled = await h.request('POST', '/cancel_bulk_campaign', { key: s.key, body: { campaign_id: res.body.campaign_id } });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.counts.canceled).toBeGreaterThan(0);

    // Once the dispatcher has let go of the campaign, nothing more can go out: compare with the provider.
    await waitUntil(() => h.deps.db.selectFrom('campaigns').select('dispatcher_id').where('id', '=', res.body.campaign_id).executeTakeFirstOrThrow(), (r) => r.dispatcher_id === null, 'the dispatcher to stop');
    const after = (await get(s.key, res.body.campaign_id)).body;
    expect(after.counts.sent + after.counts.sending).toBe(textsFrom(s.from).length);
    expect(after.counts.sent + after.counts.sending + after.counts.canceled).toBe(30);
    expectBalanced(after);
    const again = await h.request('POST', '/cancel_bulk_campaign', { key: s.key, body: { campaign_id: res.body.campaign_id } });
    expect(again.body).toMatchObject({ status: 'canceled', canceled_at: after.canceled_at, counts: after.counts });
    const events = await h.deps.db.selectFrom('outbox_events').select('payload').where('account_id', '=', s.accountId).where('type', '=', 'campaign.finished').execute();
    expect(events.map((e) => (e.payload as any).data.status)).toEqual(['canceled']);
  });
});

describe('a text a dead run left with no known outcome', () => {
  it('is given up a day after it was made when the provider cannot be asked: failed, never sent, and the campaign completes', async () => {
    const s = await sender();
    const [phone] = numbers(1);
    const [user] = await addUsers(s, [{ phone }]);
    const res = await send(s.key, { bot_id: s.botId, audience: { all: true }, message: 'Doors open', schedule_at: new Date(Date.now() + 86_400_000).toISOString() });
    const id: string = res.body.campaign_id;
    // What a run killed between its claim and Twilio's answer leaves, a day and more ago: the recipient
    // queued, its text `sending` with no provider id.
    const made = new Date(Date.now() - GIVE_UP_AFTER_MS - 3_600_000);
    const claimed = new Date(Date.now() - 2 * LOST_SEND_MARGIN_SECONDS * 1000);
    const smsId = newId('sms');
    await h.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sms_messages')
        .values({ id: smsId, account_id: s.accountId, bot_id: s.botId, end_user_id: user!.id, campaign_id: id, direction: 'outbound', from_number: s.from, to_number: phone!, body: 'Doors open', provider: 'twilio', status: 'sending', segments: 1, encoding: 'GSM-7', send_key: sendKeyOf(id, user!.id), created_at: made, updated_at: claimed })
        .execute();
      await trx.updateTable('campaign_recipients').set({ state: 'queued', sms_message_id: smsId }).where('campaign_id', '=', id).execute();
      await trx.updateTable('campaigns').set({ status: 'sending', schedule_at: made, started_at: made }).where('id', '=', id).execute();
    });
    // Twilio cannot be asked: the lookup fails.
    const lookups = () => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json')).length;
    const before = lookups();
    fake.failNext({ code: 20500, status: 500, message: 'Internal Server Error' });
    await resumeCampaigns(h.deps);
    const c = await finished(s.key, id);
    expect(lookups() - before).toBe(1);
    expect(c).toMatchObject({ status: 'completed', counts: { total: 1, sent: 0, sending: 0, failed: 1 } });
    expect(textsFrom(s.from)).toHaveLength(0);
    expect(await h.deps.db.selectFrom('sms_messages').select(['status', 'error_code']).where('id', '=', smsId).executeTakeFirst()).toEqual({ status: 'failed', error_code: 'outcome_unknown' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { waitUntil } from './support/wait.js';
import { addEndUsers, campaignSender, phoneNumbers } from './support/campaigns.js';

// What the dashboard shows before and after sending: the audience a campaign would reach now, and
// the account's campaigns.

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

describe('preview_bulk_audience', () => {
  it('counts who a send would reach and skip, by the reasons the send then gives', async () => {
    const s = await campaignSender(h, fake);
    const phones = phoneNumbers(8);
    await addEndUsers(h, s, [
      { phone: phones[0], tags: ['vip'] },
      { phone: phones[1], tags: ['vip'] },
      { phone: phones[2], tags: ['vip'], opted_out: true },
      { phone: null, tags: ['vip'] },
      { phone: phones[4], tags: ['vip'] },
      { phone: phones[5], tags: ['vip'] },
      { phone: phones[6], tags: ['other'] },
    ]);
    expect((await h.request('POST', '/block_user', { key: s.key, body: { bot_id: s.botId, user_id: 'u4', blocked: true } })).status).toBe(200);
    await h.deps.db.insertInto('suppressions').values({ account_id: s.accountId, phone: phones[5]!, reason: 'keyword' }).execute();

    const audience = { tags: ['vip'] };
    const preview = await h.request('POST', '/preview_bulk_audience', { key: s.key, body: { bot_id: s.botId, audience } });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ bot_id: s.botId, matched: 6, reachable: 2, skipped: { no_phone: 1, blocked: 1, opted_out: 1, suppressed: 1, age_gate: 0 }, unmatched_user_ids: 0 });

    // The send agrees with the preview.
    const sent = await h.request('POST', '/send_bulk_messages', { key: s.key, body: { bot_id: s.botId, audience, message: 'Hi {{name}}', quiet_hours: false } });
    expect(sent.status).toBe(200);
    const done = await waitUntil(
      async () => (await h.request('GET', '/get_bulk_campaign', { key: s.key, query: { campaign_id: sent.body.campaign_id } })).body,
      (c) => c.status === 'completed',
      'the campaign to complete',
    );
    expect(done.counts.sent).toBe(preview.body.reachable);
    expect(done.counts.skipped).toEqual(preview.body.skipped);
  });

  it('counts unverified users as skipped once the bot has an age gate, and names user ids it does not know', async () => {
    const s = await campaignSender(h, fake);
    const phones = phoneNumbers(2);
    await addEndUsers(h, s, [{ phone: phones[0], age_verified: true }, { phone: phones[1] }]);
    expect((await h.request('POST', '/edit_policy', { key: s.key, body: { bot_id: s.botId, policy: { age_gate: true } } })).status).toBe(200);
    const res = await h.request('POST', '/preview_bulk_audience', { key: s.key, body: { bot_id: s.botId, audience: { user_ids: ['u0', 'u1', 'nobody'] } } });
    expect(res.body).toMatchObject({ matched: 2, reachable: 1, skipped: { age_gate: 1 }, unmatched_user_ids: 1 });
  });

  it('refuses a malformed audience and another account\'s bot, and sends nothing', async () => {
    const s = await campaignSender(h, fake);
    const other = await h.signup();
    const bad = await h.request('POST', '/preview_bulk_audience', { key: s.key, body: { bot_id: s.botId, audience: { all: true, tags: ['x'] } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/exactly one of user_ids, tags or all/);
    const foreign = await h.request('POST', '/preview_bulk_audience', { key: other.key, body: { bot_id: s.botId, audience: { all: true } } });
    expect(foreign.status).toBe(404);
    expect(await h.deps.db.selectFrom('campaigns').select('id').where('account_id', '=', s.accountId).execute()).toEqual([]);
  });
});

describe('get_bulk_campaigns', () => {
  it('lists the account\'s campaigns newest first with their counts, by bot and status, page by page', async () => {
    const s = await campaignSender(h, fake);
    await addEndUsers(h, s, [{ phone: phoneNumbers(1)[0] }]);
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.request('POST', '/send_bulk_messages', { key: s.key, body: { bot_id: s.botId, audience: { all: true }, message: `Note ${i}`, schedule_at: later } });
      ids.push(res.body.campaign_id);
    }
    await h.request('POST', '/cancel_bulk_campaign', { key: s.key, body: { campaign_id: ids[0] } });

    const first = await h.request('GET', '/get_bulk_campaigns', { key: s.key, query: { limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.body.data.map((c: any) => c.campaign_id)).toEqual([ids[2], ids[1]]);
    expect(first.body.data[0]).toMatchObject({ bot_id: s.botId, status: 'scheduled', message: 'Note 2', counts: { total: 1 } });
    const second = await h.request('GET', '/get_bulk_campaigns', { key: s.key, query: { limit: 2, cursor: first.body.next_cursor } });
    expect(second.body.data.map((c: any) => c.campaign_id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();

    const canceled = await h.request('GET', '/get_bulk_campaigns', { key: s.key, query: { status: 'canceled', bot_id: s.botId } });
    expect(canceled.body.data.map((c: any) => c.campaign_id)).toEqual([ids[0]]);
    const other = await h.signup();
    expect((await h.request('GET', '/get_bulk_campaigns', { key: other.key })).body.data).toEqual([]);
    expect((await h.request('GET', '/get_bulk_campaigns', { key: s.key, query: { status: 'paused' } })).status).toBe(400);
  });
});

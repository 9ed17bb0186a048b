import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idsAt, newId } from '../src/core/ids.js';
import { sql } from 'kysely';
import { rollupClosedDays } from '../src/features/analytics/rollups.js';
import { modelEnv } from './support/conversation.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startHarness, type Harness } from './support/harness.js';

let fake: FakeOpenAi;
let h: Harness;
// Role api: no worker changes rows behind the counts' back.
beforeAll(async () => {
  fake = await startFakeOpenAi('llm-secret');
  h = await startHarness(modelEnv(fake), { role: 'api' });
});
afterAll(async () => {
  await h.close();
  await fake.close();
});

const DAY = 86_400_000;
const D0 = Math.floor(Date.now() / DAY) * DAY; // today, 00:00 UTC
const at = (day: number, hhmm: string) => new Date(D0 + day * DAY + Number(hhmm.slice(0, 2)) * 3_600_000 + Number(hhmm.slice(3)) * 60_000);
const iso = (d: Date | number) => new Date(d).toISOString();

async function importHistory(key: string, bot_id: string, user_id: string, channel: string, messages: Array<[string, Date]>) {
  const res = await h.request('POST', '/import_conversation_history', {
    key,
    body: { bot_id, user_id, channel, messages: messages.map(([role, t], i) => ({ role, content: `message ${i} from the past`, timestamp: iso(t) })) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Rows of other features (calls, SMS, opt-outs, usage) as they write them, at chosen times. */
async function otherFeatureRows(accountId: string, bot1: string, bot2: string) {
  const db = h.database.db;
  const callAt = at(-2, '10:00');
  await db.insertInto('calls').values({ id: idsAt('call', [callAt.getTime()])[0]!, account_id: accountId, bot_id: bot1, provider: 'twilio', direction: 'inbound', from_number: '+14155550123', to_number: '+14155550100', status: 'completed', locale: 'en-US', duration_seconds: 90, transferred_at: callAt, transferred_to: '+14155550199', created_at: callAt }).execute();
  await db.insertInto('usage_daily').values({ account_id: accountId, day: iso(callAt).slice(0, 10), bot_id: bot1, call_seconds: 90 }).execute();
  const sms = (t: Date, direction: 'inbound' | 'outbound', status: string, segments: number) => ({
    id: idsAt('sms', [t.getTime()])[0]!, account_id: accountId, bot_id: bot1, direction, from_number: '+14155550123', to_number: '+14155550100', body: 'x', provider: 'twilio', status, segments, encoding: 'GSM-7' as const, created_at: t,
  });
  await db.insertInto('sms_messages').values([sms(at(-3, '11:00'), 'inbound', 'received', 1), sms(at(-3, '11:01'), 'outbound', 'delivered', 2), sms(at(-3, '11:02'), 'outbound', 'canceled', 3)]).execute();
  const optOut = at(-1, '07:00');
  await db.insertInto('audit_logs').values({ id: idsAt('log', [optOut.getTime()])[0]!, account_id: accountId, actor_type: 'system', action: 'user.opted_out', object_type: 'user', object_id: 'usr_x', details: JSON.stringify({ bot_id: bot2, reason: 'STOP' }), created_at: optOut }).execute();
}

/** An account with two bots, three fans' imported history over the last days, and today's live traffic. */
async function accountWithHistory() {
  const { key, accountId } = await h.signup();
  const bot1: string = (await h.createBot(key, { name: 'Luna' })).bot_id;
  const bot2: string = (await h.createBot(key, { name: 'Nova' })).bot_id;
  await importHistory(key, bot1, 'fan-a', 'api', [['user', at(-3, '10:00')], ['assistant', at(-3, '10:01')], ['user', at(-3, '10:05')], ['operator', at(-1, '09:00')]]);
  await importHistory(key, bot1, 'fan-b', 'sms', [['user', at(-3, '11:00')], ['assistant', at(-2, '12:00')]]);
  await importHistory(key, bot2, 'fan-c', 'voice', [['user', at(-2, '08:00')], ['user', at(-2, '08:30')]]);
  await otherFeatureRows(accountId, bot1, bot2);

  // Today: a model reply (rated up), a curated answer (rated down), and a message while bot2 is off.
  const pk: string = (await h.request('POST', '/create_api_key', { key, body: { name: 'widget', scope: 'conversation', bot_ids: [bot1, bot2] } })).body.key;
  const say = (creator: string, user_id: string, message: string) => h.request('POST', '/conversation_api', { body: { api_key: pk, creator, user_id, message } });
  fake.next({ reply: 'hello there friend' });
  const modelReply = await say(bot1, 'fan-d', 'hi');
  expect(modelReply.body.source).toBe('model');
  expect((await h.request('POST', '/retrain_response', { key, body: { bot_id: bot1, question: 'what is your favourite colour?', response: 'Blue, always.' } })).status).toBe(200);
  const curated = await say(bot1, 'fan-d', 'what is your favourite colour?');
  expect(curated.body.source).toBe('retrained');
  for (const [message_id, rating] of [[modelReply.body.message_id, 'up'], [curated.body.message_id, 'down']]) {
    expect((await h.request('POST', '/feedback_api', { body: { api_key: pk, message_id, rating } })).status).toBe(200);
  }
  expect((await h.request('POST', '/toggle_bot_response', { key, body: { bot_id: bot2, enabled: false } })).status).toBe(200);
  expect((await say(bot2, 'fan-e', 'anyone?')).body.takeover).toBe(true);
  return { key, accountId, bot1, bot2 };
}

let acct: Awaited<ReturnType<typeof accountWithHistory>>;
beforeAll(async () => {
  acct = await accountWithHistory();
  // Another account's traffic on the same days never shows.
  const other = await h.signup();
  const otherBot: string = (await h.createBot(other.key, { name: 'Other' })).bot_id;
  await importHistory(other.key, otherBot, 'stranger', 'api', [['user', at(-3, '10:00')], ['user', at(-2, '10:00')], ['assistant', at(-1, '10:00')]]);
});

const analytics = (query: Record<string, string>, key = acct.key) => h.request('GET', '/get_analytics', { key, query });

describe('get_analytics', () => {
  it('counts every source into daily UTC buckets, every bucket present, for the account only', async () => {
    const res = await analytics({ from: iso(D0 - 4 * DAY), to: iso(D0 + DAY), interval: 'day' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bot_id: null, from: iso(D0 - 4 * DAY), to: iso(D0 + DAY), interval: 'day' });
    const [d4, d3, d2, d1, today] = res.body.series;
    expect(res.body.series.map((b: any) => b.t)).toEqual([-4, -3, -2, -1, 0].map((d) => iso(D0 + d * DAY)));
    expect(d4).toMatchObject({ messages_in: 0, messages_out: 0, active_users: 0, calls: 0, reply_latency_p50_ms: null, call_minutes: 0 });
    expect(d3).toMatchObject({ messages_in: 3, messages_out: 1, messages_by_channel: { api: 3, sms: 1, voice: 0 }, active_users: 2, new_users: 2, sms_segments: 3 });
    expect(d2).toMatchObject({ messages_in: 2, messages_out: 1, messages_by_channel: { api: 0, sms: 1, voice: 2 }, active_users: 1, new_users: 1, calls: 1, takeovers: 1, call_minutes: 1.5 });
    expect(d1).toMatchObject({ messages_in: 0, messages_out: 1, messages_by_channel: { api: 1, sms: 0, voice: 0 }, opt_outs: 1 });
    // Today: fan-d's two messages and two replies, fan-e's message to the switched-off bot; three imported conversations and two live ones.
    expect(today).toMatchObject({ messages_in: 3, messages_out: 2, active_users: 2, new_users: 2, conversations: 5, retrained_hits: 1, model_calls: 1, tokens_in: 11, tokens_out: 3, feedback_up: 1, feedback_down: 1, takeovers: 1 });
    expect(today.reply_latency_p50_ms).toBeGreaterThanOrEqual(0);
    expect(res.body.totals).toMatchObject({ messages_in: 8, messages_out: 5, active_users: 5, new_users: 5, conversations: 5, calls: 1, takeovers: 2, opt_outs: 1, sms_segments: 3, feedback_up: 1, feedback_down: 1, call_minutes: 1.5 });
  });

  it('narrows to one bot', async () => {
    const res = await analytics({ bot_id: acct.bot2, from: iso(D0 - 4 * DAY), to: iso(D0 + DAY) });
    expect(res.body.bot_id).toBe(acct.bot2);
    expect(res.body.totals).toMatchObject({ messages_in: 3, messages_out: 0, messages_by_channel: { api: 1, sms: 0, voice: 2 }, active_users: 2, calls: 0, takeovers: 1, opt_outs: 1, sms_segments: 0, feedback_up: 0 });
  });

  it('buckets by the hour, with tokens and model calls from the replies themselves', async () => {
    const res = await analytics({ from: iso(at(-3, '00:00')), to: iso(at(-2, '00:00')), interval: 'hour' });
    expect(res.body.series).toHaveLength(24);
    const byHour = Object.fromEntries(res.body.series.filter((b: any) => b.messages_in + b.messages_out > 0).map((b: any) => [b.t.slice(11, 13), [b.messages_in, b.messages_out]]));
    expect(byHour).toEqual({ '10': [2, 1], '11': [1, 0] });
    const now = await analytics({ from: iso(Date.now() - 3_600_000), to: iso(Date.now() + 1000), interval: 'hour' });
    expect(now.body.totals).toMatchObject({ model_calls: 1, tokens_in: 11, tokens_out: 3 });
  });

  it('buckets by week, Monday to Sunday, widening the range to whole weeks', async () => {
    const res = await analytics({ from: iso(D0 - 20 * DAY), to: iso(D0 + 1000), interval: 'week' });
    for (const b of res.body.series) expect(new Date(b.t).getUTCDay()).toBe(1);
    expect(new Date(res.body.from).getTime()).toBeLessThanOrEqual(D0 - 20 * DAY);
    expect(new Date(res.body.to).getTime()).toBeGreaterThan(D0);
    expect(res.body.totals).toMatchObject({ messages_in: 8, messages_out: 5 });
  });

  it('defaults to the last 30 days by day', async () => {
    const res = await analytics({});
    expect(res.status).toBe(200);
    expect(res.body.interval).toBe('day');
    expect(res.body.series).toHaveLength(31);
    expect(res.body.to).toBe(iso(D0 + DAY));
    expect(res.body.totals.messages_in).toBe(8);
  });

  it('refuses impossible ranges, naming the parameter', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ from: iso(D0), to: iso(D0 - DAY) }, 'from'],
      [{ from: iso(D0 - 401 * DAY), to: iso(D0) }, 'from'],
      [{ from: iso(D0 - 15 * DAY), to: iso(D0), interval: 'hour' }, 'interval'],
      [{ interval: 'month' }, 'interval'],
      [{ from: 'yesterday' }, 'from'],
      [{ bot_id: 'bot_nope' }, 'bot_id'],
    ];
    for (const [query, param] of cases) {
      const res = await analytics(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.param, JSON.stringify(query)).toBe(param);
    }
  });
});

describe('get_analytics from daily rollups', () => {
  // Never before 01:00 UTC: yesterday is closed an hour after midnight.
  const rollup = () => rollupClosedDays(h.database.db, new Date(Math.max(Date.now(), D0 + 2 * 3_600_000)));
  const snapshot = async (accountId: string) => ({
    days: await h.database.db.selectFrom('analytics_rollup_days').selectAll().select(sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day')).where('account_id', '=', accountId).orderBy(sql.ref('analytics_rollup_days.day')).execute(),
    daily: await h.database.db.selectFrom('analytics_daily').selectAll().select(sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day')).where('account_id', '=', accountId).orderBy(sql.ref('analytics_daily.day')).orderBy('bot_id').execute(),
    users: await h.database.db.selectFrom('analytics_active_users').selectAll().select(sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day')).where('account_id', '=', accountId).orderBy(sql.ref('analytics_active_users.day')).orderBy('user_id').execute(),
  });

  it('answers the same with and without rollups, over rolled-up days and today, and rolls up idempotently', async () => {
    const { key, accountId } = await h.signup();
    const bot1: string = (await h.createBot(key, { name: 'Roll' })).bot_id;
    const bot2: string = (await h.createBot(key, { name: 'Up' })).bot_id;
    const today = new Date(Math.max(D0, Date.now() - 60_000));
    await importHistory(key, bot1, 'fan-r', 'api', [['user', at(-9, '10:00')], ['assistant', at(-9, '10:01')], ['user', at(-2, '23:59')], ['assistant', at(-1, '00:01')], ['user', today], ['assistant', today]]);
    await importHistory(key, bot1, 'fan-s', 'sms', [['user', at(-9, '11:00')], ['assistant', at(-9, '11:02')], ['operator', at(-5, '09:00')], ['user', at(-1, '08:00')], ['assistant', at(-1, '08:00')]]);
    await importHistory(key, bot2, 'fan-r', 'voice', [['user', at(-5, '12:00')], ['assistant', at(-5, '12:00')], ['user', today]]);
    // Reply latencies from 40 ms to 4 minutes, so percentiles of merged days are put to the test.
    const replies = await h.database.db.selectFrom('messages').select('id').where('account_id', '=', accountId).where('role', '=', 'assistant').orderBy('id').execute();
    for (const [i, r] of replies.entries()) await h.database.db.updateTable('messages').set({ latency_ms: [40, 950, 1800, 12_345, 240_000][i % 5]! }).where('id', '=', r.id).execute();

    const queries: Array<Record<string, string>> = [
      { from: iso(D0 - 12 * DAY), to: iso(D0 + DAY), interval: 'day' },
      { from: iso(D0 - 20 * DAY), to: iso(D0 + DAY), interval: 'week' },
      { from: iso(D0 - 12 * DAY), to: iso(D0 + DAY), interval: 'day', bot_id: bot1 },
      { from: iso(D0 - 6 * DAY), to: iso(D0 - 2 * DAY), interval: 'day' },
      {},
    ];
    const answers = async () => Promise.all(queries.map(async (query) => (await analytics(query, key)).body));
    const raw = await answers();
    expect(raw[0].totals).toMatchObject({ messages_in: 7, messages_out: 7, messages_by_channel: { api: 6, sms: 5, voice: 3 }, active_users: 3 });
    expect(raw[0].totals.reply_latency_p50_ms).toBeGreaterThan(0);

    expect(await rollup()).toBeGreaterThanOrEqual(9);
    const rolled = await snapshot(accountId);
    expect(rolled.days.map((d) => d.day)).toContain(iso(D0 - DAY).slice(0, 10));
    expect(rolled.days.map((d) => d.day)).not.toContain(iso(D0).slice(0, 10));
    expect(rolled.daily.find((d) => d.day === iso(D0 - 9 * DAY).slice(0, 10))).toMatchObject({ bot_id: bot1, messages_in: 2, messages_out: 2, messages_api: 2, messages_sms: 2 });
    expect(await answers()).toEqual(raw);

    // Idempotent: nothing left to roll up, nothing changes; rolling a day up again gives the same rows.
    expect(await rollup()).toBe(0);
    expect(await snapshot(accountId)).toEqual(rolled);
    await h.database.db.deleteFrom('analytics_rollup_days').where('account_id', '=', accountId).execute();
    await rollup();
    const again = await snapshot(accountId);
    expect({ ...again, days: again.days.map(({ rolled_at: _, ...d }) => d) }).toEqual({ ...rolled, days: rolled.days.map(({ rolled_at: _, ...d }) => d) });

    // The answers do come from the rollups.
    const day9 = sql<boolean>`day = ${iso(D0 - 9 * DAY).slice(0, 10)}::date`;
    await h.database.db.updateTable('analytics_daily').set({ messages_in: sql`messages_in + 100` }).where('account_id', '=', accountId).where(day9).execute();
    expect((await analytics(queries[0]!, key)).body.totals.messages_in).toBe(107);
    await h.database.db.updateTable('analytics_daily').set({ messages_in: sql`messages_in - 100` }).where('account_id', '=', accountId).where(day9).execute();

    // An import into a rolled-up day is counted at once (that day is read from the messages until rolled up again).
    await importHistory(key, bot2, 'fan-t', 'api', [['user', at(-3, '15:00')]]);
    const after = (await analytics(queries[0]!, key)).body;
    expect(after.totals).toMatchObject({ messages_in: 8, active_users: 4 });
    expect(after.series[9]).toMatchObject({ messages_in: 1, active_users: 1 });
    expect(await rollup()).toBe(1);
    expect((await analytics(queries[0]!, key)).body).toEqual(after);

    // Erasure takes the end user out of the rollups of who was active (personal data); message counts stay.
    const fanT = () => h.database.db.selectFrom('analytics_active_users').select('user_id').where('account_id', '=', accountId).where('user_id', '=', 'fan-t').execute();
    expect(await fanT()).toHaveLength(1);
    expect((await h.request('POST', '/delete_user', { key, body: { bot_id: bot2, user_id: 'fan-t' } })).status).toBe(200);
    expect(await fanT()).toEqual([]);
  });
});

describe('get_activity_logs', () => {
  it('lists the account\'s changes newest first, with who, what and from where, and pages', async () => {
    const { key, accountId } = await h.signup();
    const bot: string = (await h.createBot(key, { name: 'Logged' })).bot_id;
    await h.request('POST', '/set_bot_name', { key, body: { bot_id: bot, name: 'Renamed' } });
    const all = await h.request('GET', '/get_activity_logs', { key });
    expect(all.status).toBe(200);
    expect(all.body.data.map((l: any) => l.action)).toEqual(['bot.renamed', 'bot.created', 'account.created']);
    const keyId = all.body.data[0].actor.id as string;
    expect(all.body.data[0]).toMatchObject({ actor: { type: 'key', id: expect.stringMatching(/^key_/) }, object_type: 'bot', object_id: bot, ip: expect.any(String), request_id: expect.any(String) });

    const first = await h.request('GET', '/get_activity_logs', { key, query: { limit: 1 } });
    expect(first.body.data.map((l: any) => l.action)).toEqual(['bot.renamed']);
    const second = await h.request('GET', '/get_activity_logs', { key, query: { limit: 1, cursor: first.body.next_cursor } });
    expect(second.body.data.map((l: any) => l.action)).toEqual(['bot.created']);

    expect((await h.request('GET', '/get_activity_logs', { key, query: { action: 'bot.' } })).body.data.map((l: any) => l.action)).toEqual(['bot.renamed', 'bot.created']);
    expect((await h.request('GET', '/get_activity_logs', { key, query: { action: 'bot_' } })).body.data).toEqual([]); // _ is not a wildcard
    expect((await h.request('GET', '/get_activity_logs', { key, query: { object_type: 'bot', object_id: bot } })).body.data).toHaveLength(2);
    expect((await h.request('GET', '/get_activity_logs', { key, query: { actor: keyId } })).body.data.map((l: any) => l.action)).toEqual(['bot.renamed', 'bot.created']);

    await h.database.db.insertInto('audit_logs').values({ id: newId('log'), account_id: accountId, actor_type: 'system', action: 'bot.erased', object_type: 'bot', object_id: bot }).execute();
    expect((await h.request('GET', '/get_activity_logs', { key, query: { actor: 'system' } })).body.data.map((l: any) => l.action)).toEqual(['bot.erased']);
    const created = new Date(all.body.data[1].created_at).getTime();
    expect((await h.request('GET', '/get_activity_logs', { key, query: { since: iso(created), until: iso(created + 1) } })).body.data.map((l: any) => l.action)).toEqual(['bot.created']);
    expect((await h.request('GET', '/get_activity_logs', { key, query: { until: iso(Date.now() - DAY) } })).body.data).toEqual([]);
  });

  it('validates its filters', async () => {
    const { key } = await h.signup();
    for (const [query, param] of [[{ actor: 'bob' }, 'actor'], [{ since: iso(D0), until: iso(D0) }, 'since'], [{ action: 'BOT%' }, 'action'], [{ cursor: 'zzz' }, 'cursor']] as const) {
      const res = await h.request('GET', '/get_activity_logs', { key, query });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
  });
});

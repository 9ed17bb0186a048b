import { afterAll, describe, expect, it } from 'vitest';
import { randomUsNumber } from './support/fake-twilio.js';
import { expectError } from './support/assertions.js';
import { startFakeStripe, stripeEnv, writePlansFile } from './support/fake-stripe.js';
import { caller, callRows, useVoiceWorld, voiceBot, type VoiceWorld } from './support/voice.js';

// Call minutes on a plan with 2 a month: make_call refused with a 402 once they are used up, and an
// inbound call told the line is unavailable. Talk time is what the call records count (usage_daily).

const stripe = await startFakeStripe();
afterAll(() => stripe.close());
let w: VoiceWorld;
useVoiceWorld((world) => (w = world), stripeEnv(stripe, writePlansFile({ call_minutes_per_month: 2 })));

/** Talk time the account has had today (as the end of a call counts it). */
const talked = (bot: { accountId: string; botId: string }, seconds: number) =>
  w.h.database.db.insertInto('usage_daily').values({ account_id: bot.accountId, day: new Date().toISOString().slice(0, 10), bot_id: bot.botId, call_seconds: seconds }).execute();

describe('call minutes', () => {
  it('places calls while minutes are left, then refuses make_call with a 402 naming the limit', async () => {
    const bot = await voiceBot(w);
    expect((await w.h.request('POST', '/make_call', { key: bot.key, body: { bot_id: bot.botId, to: randomUsNumber() } })).status).toBe(200);
    await talked(bot, 61); // two started minutes
    const res = await w.h.request('POST', '/make_call', { key: bot.key, body: { bot_id: bot.botId, to: randomUsNumber() } });
    expectError(res, 402, 'plan_limit', 'call_minutes_per_month_limit_reached');
    expect(res.body.error.message).toContain('the Free plan allows 2 call minutes a month and this account has 2 call minutes this month');
    expect(w.sinch.callouts).toHaveLength(1);
    expect(await callRows(w, bot.botId)).toHaveLength(1);
    expect((await w.h.request('GET', '/get_usage', { key: bot.key })).body.limits.call_minutes_per_month).toEqual({ used: 2, limit: 2, percent: 100 });
  });

  it.each(['sinch', 'twilio'] as const)('tells an inbound %s caller the line is unavailable once the minutes are used up', async (provider) => {
    const bot = await voiceBot(w, { provider });
    const before = await caller(w, provider, bot.number).start();
    expect(before.state).toBe('listening');
    await talked(bot, 120);
    const after = await caller(w, provider, bot.number).start();
    expect(after).toMatchObject({ state: 'ended', problems: [] });
    expect(after.spoken.join(' ')).toBe('Sorry, this line is unavailable right now. Please try again later. Goodbye.');
    expect(await callRows(w, bot.botId)).toHaveLength(1); // only the call before
    expect(w.llm.requests).toHaveLength(0);
    // The account heard about it: 100 % of its minutes.
    const alerts = await w.h.database.db.selectFrom('outbox_events').select('payload').where('account_id', '=', bot.accountId).where('type', '=', 'usage.threshold').execute();
    expect(alerts.map((a) => (a.payload as any).data)).toEqual([expect.objectContaining({ limit: 'call_minutes_per_month', threshold: 100, used: 2, limit_value: 2 })]);
  });
});

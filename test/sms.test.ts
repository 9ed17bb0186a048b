import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { randomUsNumber, fakeAccountSid } from './support/fake-twilio.js';
import { startHarness, type Harness } from './support/harness.js';
import {
  PUBLIC_URL, addNumber, postSinch, postTwilio, randomSid, sinchMo, smsBot, smsJobsDone, smsRows, twilioInbound, twilioSentTo, until, useSmsWorld, type SmsWorld,
} from './support/sms.js';

// SMS end to end: signed webhooks from Twilio and Sinch, the inbound job (keywords, the engine), and
// replies through the providers' fakes; the database and the fakes' records show what happened.

let w: SmsWorld;
useSmsWorld((world) => {
  w = world;
});

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

describe('inbound SMS', () => {
  it('Twilio: a signed message is stored, answered by the model after an empty TwiML, and the reply goes out through Twilio from the bot\'s number', async () => {
    const { botId, number, key } = await smsBot(w, { bot: { opening_message: 'Hey, Luna here!' } });
    const fan = randomUsNumber();
    w.llm.next({ reply: 'Lovely to hear from you.' });
    const res = await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, 'hi Luna', {}, w.tw.account.sid));
    expect(res.status).toBe(200);
    expect(res.body).toBe(TWIML);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);

    const [sent] = await until(() => twilioSentTo(w, fan).length > 0 && twilioSentTo(w, fan), 'the reply');
    expect(sent).toMatchObject({ from: number, accountSid: w.tw.account.sid, body: 'Hey, Luna here!\n\nLovely to hear from you.' });
    expect(w.llm.requests.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'hi Luna' });
    const rows = await until(async () => {
      const all = await smsRows(w, botId);
      return Boolean(all[1]?.provider_message_id) && all;
    }, 'the provider\'s id on the reply');
    expect(rows.map((r) => [r.direction, r.status, r.from_number, r.to_number])).toEqual([
      ['inbound', 'received', fan, number],
      ['outbound', 'sending', number, fan],
    ]);
    const out = rows[1]!;
    expect(out).toMatchObject({ provider: 'twilio', provider_message_id: sent!.sid, encoding: 'GSM-7', segments: 1 });
    expect(sent!.statusCallback).toBe(`${PUBLIC_URL}/webhooks/twilio/sms-status?sms_id=${out.id}`);
    // The conversation is the user's SMS conversation, the user found by phone.
    const user = await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: fan } });
    expect(user.body).toMatchObject({ phone: fan, channels: ['sms'], opted_out: false });
    expect(out.message_id).not.toBeNull();
    expect(rows[0]!.end_user_id).toBe(out.end_user_id);
  });

  it('Sinch: a signed MO message is answered through Sinch with our id as client_reference and delivery reports asked for', async () => {
    const { botId, number } = await smsBot(w, { provider: 'sinch' });
    const fan = randomUsNumber();
    w.llm.next({ reply: 'Hello from Sinch land.' });
    const res = await postSinch(w, sinchMo(number, fan, 'hello'));
    expect(res.status).toBe(200);
    const batch = await until(() => w.sinch.sent.find((b) => b.to[0] === fan), 'the Sinch batch');
    expect(batch).toMatchObject({ from: number, body: 'Hello from Sinch land.', deliveryReport: 'per_recipient', callbackUrl: `${PUBLIC_URL}/webhooks/sinch/sms` });
    const rows = await until(async () => {
      const all = await smsRows(w, botId);
      return Boolean(all[1]?.provider_message_id) && all;
    }, 'the batch id on the reply');
    expect(rows[0]).toMatchObject({ direction: 'inbound', provider: 'sinch', from_number: fan, to_number: number, body: 'hello' });
    expect(rows[1]).toMatchObject({ direction: 'outbound', provider: 'sinch', provider_message_id: batch.id, status: 'sending' });
    expect(batch.clientReference).toBe(rows[1]!.id);
  });

  it('stores MMS media URLs without fetching them and tells the model an attachment came', async () => {
    const hits: string[] = [];
    const media: Server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200).end('x');
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(media.address() as AddressInfo).port}/media/cat.jpg`;
    try {
      const { botId, number } = await smsBot(w);
      const fan = randomUsNumber();
      w.llm.next({ reply: 'Cute!' });
      await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, '', { NumMedia: '1', MediaUrl0: url, MediaContentType0: 'image/jpeg' }));
      await until(() => twilioSentTo(w, fan).length > 0, 'the reply');
      const [inbound] = await smsRows(w, botId);
      expect(inbound!.media_urls).toEqual([url]);
      expect(w.llm.requests.at(-1)!.messages.at(-1).content).toBe('[sent 1 attachment]');
      expect(hits).toEqual([]);
    } finally {
      await new Promise((r) => media.close(r));
    }
  });

  it('a message delivered twice (same MessageSid) is stored and answered once', async () => {
    const { botId, number } = await smsBot(w);
    const fan = randomUsNumber();
    const params = twilioInbound(number, fan, 'are you there?');
    const [a, b] = await Promise.all([postTwilio(w, '/webhooks/twilio/sms', params), postTwilio(w, '/webhooks/twilio/sms', params)]);
    const again = await postTwilio(w, '/webhooks/twilio/sms', params);
    expect([a.status, b.status, again.status]).toEqual([200, 200, 200]);
    await until(() => twilioSentTo(w, fan).length > 0, 'the reply');
    await smsJobsDone(w);
    const rows = await smsRows(w, botId);
    expect(rows.filter((r) => r.direction === 'inbound')).toHaveLength(1);
    expect(rows.filter((r) => r.direction === 'outbound')).toHaveLength(1);
    expect(twilioSentTo(w, fan)).toHaveLength(1);
    expect(w.llm.requests).toHaveLength(1);
  });

  it('a number that routes to no bot: 2xx, nothing stored, nothing sent', async () => {
    const { accountId } = await w.h.signup();
    const detached = await addNumber(w, { accountId, botId: null });
    for (const to of [randomUsNumber(), detached]) {
      const res = await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(to, randomUsNumber(), 'hello?'));
      expect(res.status).toBe(200);
      expect(res.body).toBe(TWIML);
    }
    const stored = await w.h.database.db.selectFrom('sms_messages').select('id').where('account_id', '=', accountId).execute();
    expect(stored).toEqual([]);
  });

  it('an imported number is verified with its own account\'s token, and its reply is sent through that account', async () => {
    const { key, accountId } = await w.h.signup();
    const bot = await w.h.createBot(key, { name: 'Own' });
    const own = w.tw.addAccount(fakeAccountSid());
    const number = await addNumber(w, { accountId, botId: bot.bot_id, imported: own });
    const fan = randomUsNumber();
    // The platform's signature does not speak for another account's number.
    const forged = await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, 'hi', {}, own.sid));
    expect(forged.status).toBe(401);
    const res = await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, 'hi', {}, own.sid), { token: own.token });
    expect(res.status).toBe(200);
    const [sent] = await until(() => twilioSentTo(w, fan).length > 0 && twilioSentTo(w, fan), 'the reply');
    expect(sent!.accountSid).toBe(own.sid);
  });
});

describe('signatures', () => {
  it('Twilio: a missing, wrong or stale-URL signature, or a changed field, is a 401 and nothing is stored', async () => {
    const { botId, number } = await smsBot(w);
    const params = twilioInbound(number, randomUsNumber(), 'hello');
    const wrongToken = await postTwilio(w, '/webhooks/twilio/sms', params, { token: 'not-the-token' });
    const missing = await postTwilio(w, '/webhooks/twilio/sms', params, { signature: null });
    const garbage = await postTwilio(w, '/webhooks/twilio/sms', params, { signature: 'AAAA' });
    const good = (await import('twilio')).default.getExpectedTwilioSignature(w.tw.account.token, `${PUBLIC_URL}/webhooks/twilio/sms`, params);
    const changed = await postTwilio(w, '/webhooks/twilio/sms', { ...params, Body: 'STOP' }, { signature: good });
    const otherPath = await postTwilio(w, '/webhooks/twilio/sms-status', params, { signature: good });
    for (const r of [wrongToken, missing, garbage, changed, otherPath]) expect(r.status).toBe(401);
    expect(JSON.parse(wrongToken.body).error.code).toBe('invalid_signature');
    await smsJobsDone(w);
    expect(await smsRows(w, botId)).toEqual([]);
  });

  it('Sinch: unsigned, wrongly signed, tampered or stale callbacks are a 401 and nothing is stored', async () => {
    const { botId, number } = await smsBot(w, { provider: 'sinch' });
    const mo = sinchMo(number, randomUsNumber(), 'hello');
    const results = [
      await postSinch(w, mo, { unsigned: true }),
      await postSinch(w, mo, { secret: 'another-secret' }),
      await postSinch(w, mo, { tamper: true }),
      await postSinch(w, mo, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      await postSinch(w, mo, { timestamp: Math.floor(Date.now() / 1000) + 3600 }),
    ];
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(await smsRows(w, botId)).toEqual([]);
  });

  it('refuses everything when no secret is configured (fails closed)', async () => {
    let bare: Harness | null = null;
    try {
      bare = await startHarness({ PUBLIC_URL });
      const sid = randomSid();
      const params = { MessageSid: sid, From: randomUsNumber(), To: randomUsNumber(), Body: 'hi', AccountSid: fakeAccountSid() };
      // Signed with some token: without TWILIO_AUTH_TOKEN the server knows none to check it with.
      const twilio = (await import('twilio')).default;
      const res = await bare.app.inject({
        method: 'POST',
        url: '/webhooks/twilio/sms',
        payload: new URLSearchParams(params).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature('any', `${PUBLIC_URL}/webhooks/twilio/sms`, params) },
      });
      expect(res.statusCode).toBe(401);
      const sinch = await bare.app.inject({ method: 'POST', url: '/webhooks/sinch/sms', payload: '{"type":"mo_text"}', headers: { 'content-type': 'application/json' } });
      expect(sinch.statusCode).toBe(401);
    } finally {
      await bare?.close();
    }
  });
});

describe('keywords and opt-outs', () => {
  const say = (number: string, fan: string, body: string) => postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, body));

  it('STOP opts out account-wide with one confirmation; nothing reaches the user until START; HELP answers with the bot\'s help text', async () => {
    const { key, botId, number, accountId } = await smsBot(w, { bot: { name: 'Nova' } });
    const fan = randomUsNumber();
    await say(number, fan, 'Stop.');
    await until(() => twilioSentTo(w, fan).length === 1, 'the STOP confirmation');
    expect(twilioSentTo(w, fan)[0]!.body).toBe('Nova: you are unsubscribed and will get no more messages. Reply START to resubscribe.');
    const user = await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: fan } });
    expect(user.body.opted_out).toBe(true);
    const suppressed = await w.h.database.db.selectFrom('suppressions').selectAll().where('account_id', '=', accountId).execute();
    expect(suppressed.map((s) => [s.phone, s.reason])).toEqual([[fan, 'sms_stop']]);

    // A repeated STOP and an ordinary message: no second confirmation, no reply, no model call.
    await say(number, fan, 'STOP');
    await say(number, fan, 'are you still there?');
    await smsJobsDone(w);
    expect(twilioSentTo(w, fan)).toHaveLength(1);
    expect(w.llm.requests).toHaveLength(0);
    const refused = await w.h.request('POST', '/send_sms', { key, body: { bot_id: botId, to: fan, body: 'we miss you' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('user_opted_out');

    // The suppression is the account's: another bot of the account cannot text the number either.
    const other = await w.h.createBot(key, { name: 'Other' });
    await addNumber(w, { accountId, botId: other.bot_id });
    const fromOther = await w.h.request('POST', '/send_sms', { key, body: { bot_id: other.bot_id, to: fan, body: 'hi' } });
    expect(fromOther.body.error?.code).toBe('user_opted_out');

    // HELP is answered, even now.
    await say(number, fan, 'help');
    await until(() => twilioSentTo(w, fan).length === 2, 'the HELP answer');
    expect(twilioSentTo(w, fan)[1]!.body).toBe('Nova: you are texting an AI. Msg & data rates may apply. Reply STOP to unsubscribe, START to resubscribe.');

    // START: subscribed again, confirmed once, and the bot talks again.
    await say(number, fan, 'START');
    await until(() => twilioSentTo(w, fan).length === 3, 'the START confirmation');
    expect(twilioSentTo(w, fan)[2]!.body).toBe('Nova: you are subscribed again. Reply HELP for help, STOP to unsubscribe.');
    expect(await w.h.database.db.selectFrom('suppressions').selectAll().where('account_id', '=', accountId).execute()).toEqual([]);
    w.llm.next({ reply: 'Welcome back!' });
    await say(number, fan, 'hello again');
    await until(() => twilioSentTo(w, fan).length === 4, 'the reply');
    expect(twilioSentTo(w, fan)[3]!.body).toBe('Welcome back!');
    const events = await w.h.database.db.selectFrom('outbox_events').select('type').where('account_id', '=', accountId).where('type', 'in', ['user.opted_out', 'user.opted_in']).orderBy('id').execute();
    expect(events.map((e) => e.type)).toEqual(['user.opted_out', 'user.opted_in']);
  });

  it('a custom help text; keywords are whole messages only ("stop it" is talked to)', async () => {
    const { key, botId, number } = await smsBot(w);
    await w.h.request('POST', '/edit_policy', { key, body: { bot_id: botId, policy: { help_text: '{{bot_name}} support: help@example.com. Text STOP to quit.' } } });
    const fan = randomUsNumber();
    await say(number, fan, 'INFO');
    await until(() => twilioSentTo(w, fan).length === 1, 'the INFO answer');
    expect(twilioSentTo(w, fan)[0]!.body).toBe('Luna support: help@example.com. Text STOP to quit.');
    w.llm.next({ reply: 'Stop what?' });
    await say(number, fan, 'stop it');
    await until(() => twilioSentTo(w, fan).length === 2, 'the reply');
    expect(twilioSentTo(w, fan)[1]!.body).toBe('Stop what?');
  });

  it('YES from a user who never opted out confirms the age gate; the engine answers, not the keyword', async () => {
    const fan = randomUsNumber();
    const { key, botId, number: gated } = await smsBot(w, { bot: { opening_message: 'Hi, I am Luna.' } });
    await w.h.request('POST', '/edit_policy', { key, body: { bot_id: botId, policy: { age_gate: true } } });
    await say(gated, fan, 'hey');
    await until(() => twilioSentTo(w, fan).length === 1, 'the age question');
    expect(twilioSentTo(w, fan)[0]!.body).toBe('This chat is for adults only. Reply YES to confirm you are 18 or older.');
    await say(gated, fan, 'YES');
    await until(() => twilioSentTo(w, fan).length === 2, 'the greeting');
    expect(twilioSentTo(w, fan)[1]!.body).toBe('Hi, I am Luna.');
    expect(w.llm.requests).toHaveLength(0);
  });

  it('a blocked user gets nothing: no reply, no HELP, no STOP confirmation, no send_sms', async () => {
    const { key, botId, number } = await smsBot(w);
    const fan = randomUsNumber();
    w.llm.next({ reply: 'First and last.' });
    await say(number, fan, 'hi');
    await until(() => twilioSentTo(w, fan).length === 1, 'the first reply');
    expect((await w.h.request('POST', '/block_user', { key, body: { bot_id: botId, user_id: fan, blocked: true } })).status).toBe(200);
    await say(number, fan, 'hello?');
    await say(number, fan, 'HELP');
    await say(number, fan, 'STOP');
    await smsJobsDone(w);
    expect(twilioSentTo(w, fan)).toHaveLength(1);
    expect(w.llm.requests).toHaveLength(1);
    // STOP still opts them out (compliance), silently.
    expect((await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: fan } })).body).toMatchObject({ blocked: true, opted_out: true });
    const res = await w.h.request('POST', '/send_sms', { key, body: { bot_id: botId, to: fan, body: 'hi' } });
    expect(res.body.error.code).toBe('user_blocked');
  });

  it('the reply waits for reply_delay in the queue, and a block that comes meanwhile cancels it at send time', async () => {
    // reply_delay 20 → 6 s of "typing".
    const { key, botId, number } = await smsBot(w, { bot: { values: { reply_delay: 20 } } });
    const fan = randomUsNumber();
    w.llm.next({ reply: 'Typing slowly…' });
    await say(number, fan, 'hi');
    const queued = await until(async () => (await smsRows(w, botId)).find((r) => r.direction === 'outbound'), 'the queued reply');
    expect(queued.status).toBe('queued');
    await w.h.request('POST', '/block_user', { key, body: { bot_id: botId, user_id: fan, blocked: true } });
    const done = await until(async () => (await smsRows(w, botId)).find((r) => r.direction === 'outbound' && r.status !== 'queued'), 'the send job', 300);
    expect(done).toMatchObject({ status: 'canceled', error_code: 'blocked', provider_message_id: null });
    expect(twilioSentTo(w, fan)).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { randomUsNumber } from './support/fake-twilio.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { postSinch, postTwilio, sinchMo, smsBot, smsRows, twilioInbound, twilioSentTo, until, useSmsWorld, type SmsWorld } from './support/sms.js';
import { countSegments } from '../src/features/sms/segments.js';
import { smsKeyword } from '../src/features/sms/keywords.js';

// The send path (send_sms, add_message_to_conversation deliver), delivery reports, and what an SMS
// costs in parts.

let w: SmsWorld;
useSmsWorld((world) => {
  w = world;
});

const sendSms = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => w.h.request('POST', '/send_sms', { key, body, headers });
const sentRow = (smsId: string) => until(async () => {
  const row = await w.h.database.db.selectFrom('sms_messages').selectAll().where('id', '=', smsId).executeTakeFirstOrThrow();
  // Handed over and answered (the provider's id stored), or stopped for good.
  return (row.provider_message_id !== null || ['failed', 'canceled', 'undelivered', 'delivered'].includes(row.status)) && row;
}, 'the send job');

describe('send_sms and get_sms_messages', () => {
  it('texts a new number: creates the user, stores an operator message in their SMS conversation, sends from the bot\'s number', async () => {
    const { key, botId, number } = await smsBot(w);
    const fan = randomUsNumber();
    const res = await sendSms(key, { bot_id: botId, to: fan, body: 'Your table is ready 🍽' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bot_id: botId, user_id: fan, direction: 'outbound', from: number, to: fan, status: 'queued', encoding: 'UCS-2', segments: 1, provider: 'twilio' });
    const row = await sentRow(res.body.sms_id);
    expect(row).toMatchObject({ status: 'sending', provider_message_id: twilioSentTo(w, fan)[0]!.sid });
    expect(twilioSentTo(w, fan)[0]).toMatchObject({ from: number, body: 'Your table is ready 🍽' });
    const convs = await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId, channel: 'sms' } });
    expect(convs.body.data[0]).toMatchObject({ conversation_id: res.body.conversation_id, user_id: fan, last_message: { role: 'operator', content: 'Your table is ready 🍽' } });
    expect(row.message_id).toBe(convs.body.data[0].last_message.message_id);
  });

  it('is idempotent: the same Idempotency-Key sends once and answers the same', async () => {
    const { key, botId } = await smsBot(w);
    const fan = randomUsNumber();
    const body = { bot_id: botId, to: fan, body: 'once only' };
    const first = await sendSms(key, body, { 'idempotency-key': 'send-1' });
    const second = await sendSms(key, body, { 'idempotency-key': 'send-1' });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.sms_id).toBe(first.body.sms_id);
    await sentRow(first.body.sms_id);
    expect(twilioSentTo(w, fan)).toHaveLength(1);
  });

  it('texts an existing user by user_id; refuses users without a phone, unknown users, bad numbers and bots without a number', async () => {
    const { key, botId } = await smsBot(w);
    const fan = randomUsNumber();
    await w.h.request('POST', '/create_user', { key, body: { bot_id: botId, user_id: 'crm-42', phone: fan } });
    await w.h.request('POST', '/create_user', { key, body: { bot_id: botId, user_id: 'no-phone' } });
    const ok = await sendSms(key, { bot_id: botId, to: 'crm-42', body: 'hi' });
    expect(ok.body).toMatchObject({ user_id: 'crm-42', to: fan });
    expectError(await sendSms(key, { bot_id: botId, to: 'no-phone', body: 'hi' }), 422, 'unprocessable', 'no_sms_route', 'to');
    expectError(await sendSms(key, { bot_id: botId, to: 'nobody', body: 'hi' }), 404, 'not_found', 'user_not_found', 'to');
    expectInvalid(await sendSms(key, { bot_id: botId, to: '+1555', body: 'hi' }), 'to', 'invalid_phone_number');
    const bare = await w.h.createBot(key, { name: 'No number' });
    expectError(await sendSms(key, { bot_id: bare.bot_id, to: fan, body: 'hi' }), 422, 'unprocessable', 'no_sms_number');
    const other = await w.h.signup();
    expectError(await sendSms(other.key, { bot_id: botId, to: fan, body: 'hi' }), 404, 'not_found');
  });

  it('get_sms_messages lists both directions newest first, filtered by user and status, paged', async () => {
    const { key, botId, number } = await smsBot(w);
    const [a, b] = [randomUsNumber(), randomUsNumber()];
    w.llm.next({ reply: 'Hi A' });
    await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, a, 'hello'));
    await until(() => twilioSentTo(w, a).length === 1, 'the reply to A');
    const toB = await sendSms(key, { bot_id: botId, to: b, body: 'Hi B' });
    await sentRow(toB.body.sms_id);

    const all = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId } });
    expect(all.body.data.map((m: any) => [m.direction, m.user_id, m.body])).toEqual([
      ['outbound', b, 'Hi B'],
      ['outbound', a, 'Hi A'],
      ['inbound', a, 'hello'],
    ]);
    const ofA = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId, user_id: a } });
    expect(ofA.body.data).toHaveLength(2);
    const received = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId, status: 'received' } });
    expect(received.body.data.map((m: any) => m.body)).toEqual(['hello']);
    const page1 = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId, limit: 2 } });
    const page2 = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId, limit: 2, cursor: page1.body.next_cursor } });
    expect([...page1.body.data, ...page2.body.data].map((m: any) => m.sms_id)).toEqual(all.body.data.map((m: any) => m.sms_id));
    expect(page2.body.next_cursor).toBeNull();
  });
});

describe('add_message_to_conversation with deliver', () => {
  it('delivers an operator message to the SMS conversation\'s user; refuses (and stores nothing) without a route', async () => {
    const { key, botId, number, accountId } = await smsBot(w);
    const fan = randomUsNumber();
    w.llm.next({ reply: 'Bot here.' });
    await postTwilio(w, '/webhooks/twilio/sms', twilioInbound(number, fan, 'I need a human'));
    await until(() => twilioSentTo(w, fan).length === 1, 'the reply');
    const conv = (await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId, channel: 'sms' } })).body.data[0];

    const res = await w.h.request('POST', '/add_message_to_conversation', { key, body: { conversation_id: conv.conversation_id, role: 'operator', content: 'Hi, Sam from support.', deliver: true } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delivered: true, role: 'operator' });
    const row = await sentRow(res.body.sms_id);
    expect(row).toMatchObject({ message_id: res.body.message_id, from_number: number, to_number: fan });
    expect(twilioSentTo(w, fan)[1]!.body).toBe('Hi, Sam from support.');

    expectError(await w.h.request('POST', '/add_message_to_conversation', { key, body: { conversation_id: conv.conversation_id, role: 'user', content: 'x', deliver: true } }), 422, 'unprocessable', 'cannot_deliver_user_message');
    // No number any more: a clear 422, and the message is not stored either.
    await w.h.database.db.updateTable('phone_numbers').set({ sms: false }).where('account_id', '=', accountId).execute();
    const refused = await w.h.request('POST', '/add_message_to_conversation', { key, body: { conversation_id: conv.conversation_id, role: 'operator', content: 'lost', deliver: true } });
    expectError(refused, 422, 'unprocessable', 'no_sms_number');
    const last = (await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId, channel: 'sms' } })).body.data[0].last_message;
    expect(last.content).toBe('Hi, Sam from support.');
  });
});

describe('delivery reports', () => {
  const status = (params: Record<string, string>, smsId?: string) => postTwilio(w, `/webhooks/twilio/sms-status${smsId ? `?sms_id=${smsId}` : ''}`, params);

  it('Twilio: statuses move forward only; a late "sent" or "failed" never undoes "delivered"; events follow', async () => {
    const { key, botId, number, accountId } = await smsBot(w);
    const fan = randomUsNumber();
    const sent = await sendSms(key, { bot_id: botId, to: fan, body: 'tracking me?' });
    const row = await sentRow(sent.body.sms_id);
    const base = { MessageSid: row.provider_message_id!, AccountSid: w.tw.account.sid, From: number, To: fan, ApiVersion: '2010-04-01' };
    const read = async () => (await w.h.database.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow());

    expect((await status({ ...base, MessageStatus: 'sent' })).status).toBe(200);
    expect((await read()).status).toBe('sent');
    await status({ ...base, MessageStatus: 'delivered' });
    await status({ ...base, MessageStatus: 'sent' });
    await status({ ...base, MessageStatus: 'failed', ErrorCode: '30003' });
    expect(await read()).toMatchObject({ status: 'delivered', error_code: null });
    const unsigned = await postTwilio(w, '/webhooks/twilio/sms-status', { ...base, MessageStatus: 'undelivered' }, { signature: null });
    expect(unsigned.status).toBe(401);
    const events = await w.h.database.db.selectFrom('outbox_events').select(['type', 'payload']).where('account_id', '=', accountId).where('type', 'in', ['message.delivered', 'message.failed']).execute();
    expect(events.map((e) => e.type)).toEqual(['message.delivered']);
    expect((events[0]!.payload as any).data).toMatchObject({ bot_id: botId, user_id: fan, sms_id: row.id, status: 'delivered' });
    const listed = await w.h.request('GET', '/get_sms_messages', { key, query: { bot_id: botId, status: 'delivered' } });
    expect(listed.body.data.map((m: any) => m.sms_id)).toEqual([row.id]);
  });

  it('Twilio: a report naming our id in its URL applies before the send\'s answer recorded the provider id; undelivered keeps its code', async () => {
    const { key, botId, number } = await smsBot(w);
    const fan = randomUsNumber();
    const sent = await sendSms(key, { bot_id: botId, to: fan, body: 'x' });
    const row = await sentRow(sent.body.sms_id);
    // As if the callback had come before the id was stored.
    await w.h.database.db.updateTable('sms_messages').set({ provider_message_id: null }).where('id', '=', row.id).execute();
    await status({ MessageSid: row.provider_message_id!, MessageStatus: 'undelivered', ErrorCode: '30005', From: number, To: fan, AccountSid: w.tw.account.sid }, row.id);
    const after = await w.h.database.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'undelivered', error_code: '30005', provider_message_id: row.provider_message_id });
  });

  it('Twilio 21610 (the recipient opted out at Twilio), on send or in a report, opts the number out of the account', async () => {
    const { key, botId, number, accountId } = await smsBot(w);
    const [a, b] = [randomUsNumber(), randomUsNumber()];
    w.tw.failNextSend({ code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const first = await sendSms(key, { bot_id: botId, to: a, body: 'hello?' });
    expect(await sentRow(first.body.sms_id)).toMatchObject({ status: 'failed', error_code: '21610' });
    expect(await w.h.database.db.selectFrom('sms_messages').select('error_message').where('id', '=', first.body.sms_id).executeTakeFirstOrThrow()).toMatchObject({ error_message: expect.stringContaining('21610') });

    const second = await sendSms(key, { bot_id: botId, to: b, body: 'hello?' });
    const row = await sentRow(second.body.sms_id);
    await status({ MessageSid: row.provider_message_id!, MessageStatus: 'failed', ErrorCode: '21610', From: number, To: b, AccountSid: w.tw.account.sid });
    const suppressed = await w.h.database.db.selectFrom('suppressions').select('phone').where('account_id', '=', accountId).orderBy('phone').execute();
    expect(suppressed.map((s) => s.phone).sort()).toEqual([a, b].sort());
    for (const fan of [a, b]) {
      expect((await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: fan } })).body.opted_out).toBe(true);
      expect((await sendSms(key, { bot_id: botId, to: fan, body: 'again' })).body.error.code).toBe('user_opted_out');
    }
  });

  it('Sinch: per-recipient reports update the row by batch id; Unknown and out-of-order reports change nothing', async () => {
    const { key, botId } = await smsBot(w, { provider: 'sinch' });
    const fan = randomUsNumber();
    const sent = await sendSms(key, { bot_id: botId, to: fan, body: 'via Sinch' });
    const row = await sentRow(sent.body.sms_id);
    expect(row.provider).toBe('sinch');
    const report = (s: string, code: number) => ({ type: 'recipient_delivery_report_sms', batch_id: row.provider_message_id, recipient: fan.slice(1), code, status: s, at: new Date().toISOString(), client_reference: row.id });
    const read = async () => (await w.h.database.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow());
    expect((await postSinch(w, report('Dispatched', 0))).status).toBe(200);
    expect((await read()).status).toBe('sent');
    await postSinch(w, report('Unknown', 0));
    expect((await read()).status).toBe('sent');
    await postSinch(w, report('Failed', 402));
    await postSinch(w, report('Delivered', 0));
    expect(await read()).toMatchObject({ status: 'failed', error_code: '402' });
    expect((await postSinch(w, report('Delivered', 0), { unsigned: true })).status).toBe(401);
  });

  it('inbound Sinch MO ids are deduplicated like Twilio\'s', async () => {
    const { botId, number } = await smsBot(w, { provider: 'sinch' });
    const mo = sinchMo(number, randomUsNumber(), 'twice');
    await postSinch(w, mo);
    await postSinch(w, mo);
    expect((await smsRows(w, botId)).filter((r) => r.direction === 'inbound')).toHaveLength(1);
  });
});

describe('segments and keywords', () => {
  it('counts GSM-7 and UCS-2 parts: 160/153, 70/67, extension characters count two, pairs are never split', () => {
    expect(countSegments('hello')).toEqual({ encoding: 'GSM-7', segments: 1, units: 5 });
    expect(countSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('a'.repeat(161))).toMatchObject({ segments: 2 });
    expect(countSegments('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(countSegments('a'.repeat(307))).toMatchObject({ segments: 3 });
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(countSegments('{'.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, units: 162 });
    // 152 plain characters then an escape pair: the pair moves whole to the next part.
    expect(countSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toMatchObject({ units: 306, segments: 3 });
    expect(countSegments('Ça coûte 5 €, à bientôt!')).toMatchObject({ encoding: 'UCS-2' });
    expect(countSegments('Ça va à Zürich? ¿Qué tal!')).toMatchObject({ encoding: 'GSM-7' });
    expect(countSegments('ł'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(countSegments('ł'.repeat(71))).toMatchObject({ segments: 2 });
    expect(countSegments('ł'.repeat(134))).toMatchObject({ segments: 2 });
    expect(countSegments('ł'.repeat(135))).toMatchObject({ segments: 3 });
    expect(countSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    // 33 emoji (66 units) fit a part of 67; 34 do not.
    expect(countSegments('😀'.repeat(66))).toMatchObject({ units: 132, segments: 2 });
    expect(countSegments('😀'.repeat(67))).toMatchObject({ segments: 3 });
    expect(countSegments('')).toMatchObject({ segments: 1 });
  });

  it('recognises keywords only as the whole message', () => {
    for (const t of ['STOP', ' stop ', 'Stop.', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit', 'Revoke', 'OPTOUT', 'opt out', 'Opt-Out!']) expect(smsKeyword(t), t).toBe('stop');
    for (const t of ['START', 'unstop', 'Yes']) expect(smsKeyword(t), t).toBe('start');
    for (const t of ['HELP', 'info?']) expect(smsKeyword(t), t).toBe('help');
    for (const t of ['STOP PLEASE', 'please stop', 'stopping', 'help me', '']) expect(smsKeyword(t), t).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { callRows, caller, useVoiceWorld, voiceBot, type VoiceWorld } from './support/voice.js';

let w: VoiceWorld;
useVoiceWorld((world) => (w = world));

const PROVIDERS = ['sinch', 'twilio'] as const;
const spoken = (s: { spoken: string[] }) => s.spoken.join(' ');
const turnsOf = async (key: string, callId: string) => (await w.h.request('GET', '/get_call', { key, query: { call_id: callId } })).body;

describe.each(PROVIDERS)('an inbound call over %s', (provider) => {
  it('greets the caller, answers each utterance with the engine, and closes the record', async () => {
    const bot = await voiceBot(w, { provider });
    w.llm.next({ reply: 'We open at nine.' }, { reply: 'Only on weekdays.' });
    const call = caller(w, provider, bot.number);
    const hello = await call.start();
    expect(hello).toMatchObject({ state: 'listening', problems: [] });
    expect(spoken(hello)).toContain('Hi, this is Luna');
    const first = await call.say('When do you open?');
    expect(first.problems).toEqual([]);
    expect(spoken(first)).toBe('We open at nine.');
    // The model reads the call's history and is told it is on the phone, with its two tools.
    const req = w.llm.requests.at(-1)!;
    expect(req.messages.at(-1)).toEqual({ role: 'user', content: 'When do you open?' });
    expect(req.messages[0].content).toContain('This is a phone call');
    expect(req.tools.map((t: any) => t.function.name)).toEqual(['transfer_to_human']);
    expect(spoken(await call.say('Saturdays too?'))).toBe('Only on weekdays.');
    expect(w.llm.requests.at(-1)!.messages.map((m: any) => m.content)).toEqual(expect.arrayContaining(['When do you open?', 'We open at nine.', 'Saturdays too?']));
    expect(await call.hangup({ duration: 42, cost: 0.05 })).toBeLessThan(300);

    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ direction: 'inbound', provider, status: 'completed', duration_seconds: 42, from_number: expect.any(String), to_number: bot.number });
    const detail = await turnsOf(bot.key, row!.id);
    expect(detail.transcript.map((t: any) => [t.role, t.kind, t.text])).toEqual([
      ['bot', 'greeting', 'Hi, this is Luna. What can I do for you?'],
      ['caller', 'speech', 'When do you open?'],
      ['bot', 'speech', 'We open at nine.'],
      ['caller', 'speech', 'Saturdays too?'],
      ['bot', 'speech', 'Only on weekdays.'],
    ]);
    expect(detail.latency.turns).toBe(3);
    expect(detail.transcript.filter((t: any) => t.role === 'bot').every((t: any) => Number.isInteger(t.latency_ms))).toBe(true);
    // The call is a voice conversation of the caller's, like any other channel.
    const convs = await w.h.request('POST', '/get_conversations', { key: bot.key, body: { bot_id: bot.botId, channel: 'voice' } });
    expect(convs.body.data).toHaveLength(1);
    const events = await w.h.database.db.selectFrom('outbox_events').select('type').where('account_id', '=', bot.accountId).where('type', 'like', 'call.%').orderBy('id').execute();
    expect(events.map((e) => e.type)).toEqual(['call.started', 'call.ended']);
    const usage = await w.h.database.db.selectFrom('usage_daily').select('call_seconds').where('bot_id', '=', bot.botId).executeTakeFirstOrThrow();
    expect(Number(usage.call_seconds)).toBe(42);
  });

  it('re-prompts a silent caller, then ends the call politely', async () => {
    const bot = await voiceBot(w, { provider });
    await w.h.request('POST', '/edit_voice_settings', { key: bot.key, body: { bot_id: bot.botId, voice: { max_reprompts: 1, reprompt_message: 'Hello? Still there?', goodbye_message: 'Bye for now!' } } });
    const call = caller(w, provider, bot.number);
    await call.start();
    const again = await call.silence();
    expect(again).toMatchObject({ state: 'listening', problems: [] });
    expect(spoken(again)).toBe('Hello? Still there?');
    const bye = await call.silence();
    expect(bye).toMatchObject({ state: 'ended', problems: [] });
    expect(spoken(bye)).toBe('Bye for now!');
    expect(w.llm.requests).toHaveLength(0);
  });

  it('puts a caller who asks for a person through to the transfer number, with the bot\'s number as caller id', async () => {
    const bot = await voiceBot(w, { provider });
    await w.h.request('POST', '/set_transfer_number', { key: bot.key, body: { bot_id: bot.botId, number: '+14155550199' } });
    const call = caller(w, provider, bot.number);
    await call.start();
    // The model decides: it calls the transfer tool (no fixed phrase in what the caller says).
    w.llm.next({ toolCall: 'transfer_to_human', reply: 'I will put you through!' });
    const step = await call.say('This is getting complicated, I need someone who can actually decide things');
    expect(step).toMatchObject({ state: 'transferred', transferTo: '+14155550199', cli: bot.number, problems: [] });
    expect(spoken(step)).toBe('Of course. Let me connect you with a person now.');
    const [row] = await callRows(w, bot.botId);
    expect(row).toMatchObject({ transferred_to: '+14155550199' });
    const events = await w.h.database.db.selectFrom('outbox_events').select('type').where('account_id', '=', bot.accountId).where('type', '=', 'call.transferred').execute();
    expect(events).toHaveLength(1);
  });

  it('without a transfer number says so, offers the booking link, and texts it on a yes', async () => {
    const bot = await voiceBot(w, { provider });
    await w.h.request('POST', '/set_calendar_link', { key: bot.key, body: { bot_id: bot.botId, url: 'https://cal.example/luna' } });
    const call = caller(w, provider, bot.number);
    await call.start();
    // A plain request for a person is served without the model.
    const step = await call.say('Can I talk to a real person please?');
    expect(step.state).toBe('listening');
    expect(spoken(step)).toContain("there's no one I can put you through to");
    expect(spoken(step)).toContain('Would you like that?');
    expect(w.llm.requests).toHaveLength(0);
    const yes = await call.say('Yes please');
    expect(spoken(yes)).toBe("Done. I've just texted you the link.");
    const texts = await w.h.database.db.selectFrom('sms_messages').selectAll().where('bot_id', '=', bot.botId).execute();
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatchObject({ direction: 'outbound', from_number: bot.number, body: expect.stringContaining('https://cal.example/luna') });
    const [row] = await callRows(w, bot.botId);
    expect(row!.transferred_to).toBeNull();
  });
});

describe('transfers', () => {
  it('lets a Sinch transfer\'s leg connect (ACE → continue), without greeting again', async () => {
    const bot = await voiceBot(w);
    await w.h.request('POST', '/set_transfer_number', { key: bot.key, body: { bot_id: bot.botId, number: '+14155550199' } });
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    expect((await call.say('Can I speak to a human?')).state).toBe('transferred');
    const leg = await call.answer();
    expect(leg).toMatchObject({ state: 'continue', spoken: [], problems: [] });
  });

  it('brings the bot back when a Twilio transfer finds no one, and ends the call after a completed one', async () => {
    const bot = await voiceBot(w, { provider: 'twilio' });
    await w.h.request('POST', '/set_transfer_number', { key: bot.key, body: { bot_id: bot.botId, number: '+14155550199' } });
    const call = caller(w, 'twilio', bot.number);
    await call.start();
    expect((await call.say('Put me through to an agent, please')).state).toBe('transferred');
    const back = await call.dialEnded('no-answer');
    expect(back).toMatchObject({ state: 'listening', problems: [] });
    expect(back.spoken.join(' ')).toContain('no one could take the call');
    expect((await callRows(w, bot.botId))[0]!.transferred_to).toBeNull();
    expect((await call.say('Try again, I want to talk to a person')).state).toBe('transferred');
    expect((await call.dialEnded('completed')).state).toBe('ended');
    expect(await call.notifyRecording('https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1')).toBeLessThan(300);
    expect((await callRows(w, bot.botId))[0]!.recording_url).toBe('https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1');
  });
});

describe('the call loop', () => {
  it('answers a provider\'s retried callback with the first answer, running the turn once', async () => {
    const bot = await voiceBot(w);
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    w.llm.next({ reply: 'First and only answer.' }, { reply: 'A second answer must not happen.' });
    const pie = { event: 'pie', callid: call.callId, timestamp: new Date().toISOString(), version: 1, menuResult: { menuId: 'main', type: 'sequence', value: 'hello there', inputMethod: 'voice' } };
    const send = () => postSinch(pie);
    const [a, b] = [await send(), await send()];
    expect(a.status).toBe(200);
    expect(b.body).toBe(a.body);
    expect(a.body).toContain('First and only answer.');
    expect(w.llm.requests).toHaveLength(1);
    const messages = await w.h.database.db.selectFrom('messages').select('content').where('account_id', '=', bot.accountId).where('content', '=', 'hello there').execute();
    expect(messages).toHaveLength(1);
  });

  it('keeps a taken-over call waiting, speaks the operator\'s words, and then the bot again when handed back', async () => {
    const bot = await voiceBot(w);
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    const [row] = await callRows(w, bot.botId);
    await w.h.request('POST', '/toggle_bot_response', { key: bot.key, body: { bot_id: bot.botId, conversation_id: row!.conversation_id, enabled: false } });
    const held = await call.say('Is anyone there?');
    expect(spoken(held)).toBe('One moment, please.');
    expect(w.llm.requests).toHaveLength(0);
    const added = await w.h.request('POST', '/add_message_to_conversation', { key: bot.key, body: { conversation_id: row!.conversation_id, role: 'operator', content: 'Hi, this is Sam from the team.', deliver: true } });
    expect(added.body).toMatchObject({ delivered: true, call_id: row!.id });
    const quiet = await call.silence();
    expect(spoken(quiet)).toBe('Hi, this is Sam from the team.');
    // Spoken once only.
    expect(spoken(await call.silence())).toBe('');
    await w.h.request('POST', '/toggle_bot_response', { key: bot.key, body: { bot_id: bot.botId, conversation_id: row!.conversation_id, enabled: true } });
    w.llm.next({ reply: 'Back to me, then.' });
    expect(spoken(await call.say('Thanks Sam'))).toBe('Back to me, then.');
    // Nothing to speak after the call: delivering is refused and nothing is stored.
    await call.hangup();
    const late = await w.h.request('POST', '/add_message_to_conversation', { key: bot.key, body: { conversation_id: row!.conversation_id, role: 'operator', content: 'Too late', deliver: true } });
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe('no_live_call');
  });

  it('asks the age question first on an age-gated bot and greets after a spoken yes', async () => {
    const bot = await voiceBot(w, { bot: { name: 'Luna' } });
    await w.h.request('POST', '/edit_policy', { key: bot.key, body: { bot_id: bot.botId, policy: { age_gate: true, ai_disclosure: 'You are talking with an AI.' } } });
    const call = caller(w, 'sinch', bot.number);
    const hello = await call.start();
    expect(hello.spoken.join(' ')).toBe('You are talking with an AI. This line is for adults only. Please say yes to confirm you are 18 or older.');
    const confirmed = await call.say('Yes, I am.');
    expect(spoken(confirmed)).toBe('Hi, this is Luna. What can I do for you?');
    expect(w.llm.requests).toHaveLength(0);
    const user = await w.h.request('GET', '/get_user', { key: bot.key, query: { bot_id: bot.botId, user_id: (await callRows(w, bot.botId))[0]!.from_number } });
    expect(user.body.age_verified).toBe(true);
  });

  it('honours "stop calling me": the number is suppressed for calls and texts and the call ends', async () => {
    const bot = await voiceBot(w);
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    const step = await call.say('Please stop calling me.');
    expect(step.state).toBe('ended');
    expect(spoken(step)).toContain("won't get any more calls or texts from Luna");
    const [row] = await callRows(w, bot.botId);
    const suppressed = await w.h.database.db.selectFrom('suppressions').selectAll().where('account_id', '=', bot.accountId).where('phone', '=', row!.from_number).execute();
    expect(suppressed).toHaveLength(1);
    const sent = await w.h.request('POST', '/send_sms', { key: bot.key, body: { bot_id: bot.botId, to: row!.from_number, body: 'hi' } });
    expect(sent.body.error.code).toBe('user_opted_out');
  });

  it('ends a call that reaches the longest duration with the goodbye message', async () => {
    const bot = await voiceBot(w);
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    await w.h.database.db.updateTable('calls').set({ answered_at: sql<Date>`now() - interval '2 hours'` }).where('bot_id', '=', bot.botId).execute();
    const step = await call.say('Still talking');
    expect(step).toMatchObject({ state: 'ended', problems: [] });
    expect(spoken(step)).toBe('Thanks for calling. Goodbye!');
    expect(w.llm.requests).toHaveLength(0);
  });

  it('keeps the recording location a Notify reports, and erases the call with its user', async () => {
    const bot = await voiceBot(w);
    const call = caller(w, 'sinch', bot.number);
    await call.start();
    expect(await call.notifyRecording('https://storage.example/rec/1.mp3')).toBe(200);
    await call.hangup();
    const [row] = await callRows(w, bot.botId);
    expect(row!.recording_url).toBe('https://storage.example/rec/1.mp3');
    const erased = await w.h.request('POST', '/delete_user', { key: bot.key, body: { bot_id: bot.botId, user_id: row!.from_number } });
    expect(erased.status).toBe(200);
    expect(await callRows(w, bot.botId)).toHaveLength(0);
    const turns = await w.h.database.db.selectFrom('call_turns').select('id').where('call_id', '=', row!.id).execute();
    expect(turns).toHaveLength(0);
  });
});

/** A Sinch callback signed as Sinch signs it. */
async function postSinch(payload: unknown) {
  const { sinchAuthorization } = await import('../src/features/voice/sinch-callback-auth.js');
  const body = JSON.stringify(payload);
  const timestamp = new Date().toISOString();
  const res = await w.h.app.inject({
    method: 'POST',
    url: '/webhooks/sinch/voice',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, authorization: sinchAuthorization(w.sinch.appKey, w.sinch.appSecret, { method: 'POST', path: '/webhooks/sinch/voice', contentType: 'application/json', timestamp, body }) },
  });
  return { status: res.statusCode, body: res.body };
}

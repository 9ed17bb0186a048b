import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { SAFE_REPLY } from '../src/engine/safety.js';
import { BUILTIN_REPLY } from '../src/engine/converse.js';

// import_conversation_history and conversation_inference, on a real database against a fake model server.

let fake: FakeOpenAi;
let h: Harness;
let builtin: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAi('llm-secret');
  h = await startHarness(modelEnv(fake));
  builtin = await startHarness();
});
afterAll(async () => {
  await h.close();
  await builtin.close();
  await fake.close();
});
beforeEach(() => fake.reset());

const setup = (hh: Harness, bot: Record<string, unknown> = {}) => botWithKey(hh, { name: 'Mira', prompt: 'You are Mira.', ...bot });

const history = (n: number, start = Date.parse('2025-01-01T00:00:00Z')) =>
  Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i}`, timestamp: new Date(start + i * 60_000).toISOString() }));

describe('POST /import_conversation_history', () => {
  // Without a model, so no background summary of 10,000 messages takes the fake model's answers meant for other tests.
  it('imports 10,000 messages in one call, in order, and skips all of them on re-import', async () => {
    const { key, botId } = await setup(builtin);
    const messages = history(10_000);
    const res = await builtin.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-1', messages } });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body).toMatchObject({ user_id: 'fan-1', imported: 10_000, skipped: 0 });
    const stored = await builtin.database.db.selectFrom('messages').select(['content', 'role', 'created_at']).where('conversation_id', '=', res.body.conversation_id).orderBy('id').execute();
    expect(stored.map((m) => m.content)).toEqual(messages.map((m) => m.content));
    expect(stored[9_999]!.created_at.toISOString()).toBe(messages[9_999]!.timestamp);

    const again = await builtin.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-1', messages: messages.slice(0, 500) } });
    expect(again.body).toMatchObject({ conversation_id: res.body.conversation_id, imported: 0, skipped: 500 });
    expect(Number((await builtin.database.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('conversation_id', '=', res.body.conversation_id).executeTakeFirstOrThrow()).n)).toBe(10_000);
  }, 60_000);

  it('places messages by their time among live ones, keeps same-time messages in the given order, and the bot reads them', async () => {
    const { key, botId, say } = await setup(h);
    fake.next({ reply: 'Hello again.' });
    await say('fan-2', 'I am back');
    const t = '2024-06-01T10:00:00Z';
    const res = await h.request('POST', '/import_conversation_history', {
      key,
      body: {
        bot_id: botId,
        user_id: 'fan-2',
        messages: [
          { role: 'assistant', content: 'Glad you liked it.', timestamp: '2024-06-01T10:05:00Z' },
          { role: 'user', content: 'My cat is called Pixel.', timestamp: t },
          { role: 'user', content: 'She is grey.', timestamp: t },
        ],
      },
    });
    expect(res.body).toMatchObject({ imported: 3, skipped: 0 });
    fake.next({ reply: 'Pixel!' });
    await say('fan-2', 'what is my cat called?');
    expect(fake.requests[1]!.messages.slice(1).map((m: any) => m.content)).toEqual([
      'My cat is called Pixel.', 'She is grey.', 'Glad you liked it.', 'I am back', 'Hello again.', 'what is my cat called?',
    ]);
    const user = (await h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: 'fan-2' } })).body;
    expect(user.first_seen_at).toBe('2024-06-01T10:00:00.000Z');
  });

  it('stores nothing when one message is bad, and names it', async () => {
    const { key, botId } = await setup(h);
    const messages = history(5);
    messages[3]!.timestamp = new Date(Date.now() + 86_400_000).toISOString();
    expectInvalid(await h.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-3', messages } }), 'messages.3.timestamp');
    expectInvalid(await h.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-3', messages: [{ role: 'system', content: 'x', timestamp: '2024-01-01T00:00:00Z' }] } }), 'messages.0.role');
    expectInvalid(await h.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-3', messages: [{ role: 'user', content: 'x', timestamp: 'yesterday' }] } }), 'messages.0.timestamp');
    expectInvalid(await h.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-3', messages: history(10_001) } }), 'messages');
    expectError(await h.request('POST', '/import_conversation_history', { key, body: { bot_id: botId, user_id: 'fan-3' } }), 400, 'invalid_request', 'missing_parameter', 'messages');
    const users = await h.database.db.selectFrom('end_users').select('id').where('bot_id', '=', botId).execute();
    expect(users).toHaveLength(0);
  });

  it('answers 404 for another account\'s bot', async () => {
    const { botId } = await setup(h);
    const other = await h.signup();
    expectError(await h.request('POST', '/import_conversation_history', { key: other.key, body: { bot_id: botId, user_id: 'x', messages: history(1) } }), 404, 'not_found');
  });
});

describe('POST /conversation_inference', () => {
  it('answers a given conversation with the bot\'s settings overridden, stores nothing, and shows the prompt with debug', async () => {
    const { key, botId, accountId } = await setup(h, { values: { creativity: 0 } });
    fake.next({ reply: 'Arr, hello.' });
    const res = await h.request('POST', '/conversation_inference', {
      key,
      body: { bot_id: botId, prompt: 'You are a pirate.', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ahoy' }, { role: 'user', content: 'how are you?' }], max_tokens: 77, debug: true },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ reply: 'Arr, hello.', source: 'model', model: 'persona-1', usage: { input_tokens: 11, output_tokens: 2 } });
    const sent = fake.requests[0]!;
    expect(sent.max_tokens).toBe(77);
    expect(sent.temperature).toBe(0.2);
    expect(sent.messages[0].content).toContain('You are a pirate.');
    expect(sent.messages[0].content).not.toContain('You are Mira.');
    expect(sent.messages.slice(1).map((m: any) => m.content)).toEqual(['hi', 'ahoy', 'how are you?']);
    expect(res.body.prompt.messages).toEqual(sent.messages);
    expect(res.body.prompt).toMatchObject({ temperature: 0.2, max_tokens: 77 });
    const stored = await h.database.db.selectFrom('messages').select('id').where('account_id', '=', accountId).execute();
    expect(stored).toHaveLength(0);
    const events = await h.database.db.selectFrom('outbox_events').select('type').where('account_id', '=', accountId).execute();
    expect(events).toEqual([]);
  });

  it('runs without a bot, applies the hard limits on input and output, and uses curated answers without counting them', async () => {
    const { key, botId } = await setup(h);
    fake.next({ reply: 'Sure.' });
    const bare = await h.request('POST', '/conversation_inference', { key, body: { prompt: 'Be brief.', messages: [{ role: 'user', content: 'hello' }] } });
    expect(bare.body).toMatchObject({ reply: 'Sure.', source: 'model', prompt: null });

    const refused = await h.request('POST', '/conversation_inference', { key, body: { messages: [{ role: 'user', content: 'roleplay sex with a 15 year old' }] } });
    expect(refused.body).toMatchObject({ reply: SAFE_REPLY, source: 'safety' });
    fake.next({ reply: 'Let us have sex, I am 14.' });
    const out = await h.request('POST', '/conversation_inference', { key, body: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(out.body).toMatchObject({ reply: SAFE_REPLY, source: 'safety' });

    await h.request('POST', '/retrain_response', { key, body: { bot_id: botId, question: 'when do you open', response: 'At nine.' } });
    const curated = await h.request('POST', '/conversation_inference', { key, body: { bot_id: botId, messages: [{ role: 'user', content: 'when do you open?' }] } });
    expect(curated.body).toMatchObject({ reply: 'At nine.', source: 'retrained' });
    const row = await h.database.db.selectFrom('retrained_responses').select('hits').where('bot_id', '=', botId).executeTakeFirstOrThrow();
    expect(row.hits).toBe(0);
    expect(fake.requests).toHaveLength(2);
  });

  it('labels the builtin mode, refuses a conversation that does not end with the user, and hides other accounts\' bots', async () => {
    const { key, botId } = await setup(builtin);
    expect((await builtin.request('POST', '/conversation_inference', { key, body: { bot_id: botId, messages: [{ role: 'user', content: 'hi' }] } })).body).toMatchObject({ reply: BUILTIN_REPLY, source: 'builtin' });
    expectInvalid(await builtin.request('POST', '/conversation_inference', { key, body: { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] } }), 'messages.1.role');
    expectInvalid(await builtin.request('POST', '/conversation_inference', { key, body: { messages: [] } }), 'messages');
    const other = await builtin.signup();
    expectError(await builtin.request('POST', '/conversation_inference', { key: other.key, body: { bot_id: botId, messages: [{ role: 'user', content: 'hi' }] } }), 404, 'not_found');
  });

  it('a model failure is a 502 naming the provider', async () => {
    const { key } = await setup(h);
    fake.next({ status: 500 }, { status: 500 });
    const res = await h.request('POST', '/conversation_inference', { key, body: { messages: [{ role: 'user', content: 'hi' }] } });
    expectError(res, 502, 'provider_error');
    expect(res.body.error.message).toMatch(/^llm:/);
  });
});

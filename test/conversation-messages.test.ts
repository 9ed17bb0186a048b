import { describe, expect, it } from 'vitest';
import type { Harness } from './support/harness.js';
import type { FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, useModelHarness } from './support/conversation.js';

// The inbox's read of one conversation: every author as stored (the fan-facing view shows an
// operator's words as the bot's), with source, status and rating.

let fake: FakeOpenAi;
let h: Harness;
useModelHarness((harness, model) => ((h = harness), (fake = model)));

describe('get_conversation_messages', () => {
  it('shows user, bot and operator messages as written, with the bot reply\'s source and rating, page by page', async () => {
    const { key, pk, botId, say } = await botWithKey(h, { name: 'Luna', opening_message: 'Hey you.' });
    fake.next({ reply: 'Hello from the model.' });
    const turn = (await say('fan-1', 'hi there')).body;
    const op = await h.request('POST', '/add_message_to_conversation', { key, body: { conversation_id: turn.conversation_id, role: 'operator', content: 'A person here.' } });
    expect(op.status).toBe(200);
    await h.request('POST', '/feedback_api', { body: { api_key: pk, message_id: turn.message_id, rating: 'down' } });

    const res = await h.request('GET', '/get_conversation_messages', { key, query: { conversation_id: turn.conversation_id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ conversation_id: turn.conversation_id, bot_id: botId, user_id: 'fan-1', channel: 'api', next_cursor: null });
    const rows = res.body.data.map((m: any) => [m.role, m.content, m.source, m.rating]);
    expect(rows).toEqual([
      ['operator', 'A person here.', 'operator', null],
      ['assistant', 'Hello from the model.', 'model', 'down'],
      ['user', 'hi there', null, null],
      ['assistant', 'Hey you.', 'opening', null],
    ]);
    // The fan's own view does not tell the operator from the bot.
    const external = await h.request('GET', '/get_conversation_external', { query: { api_key: pk, creator: botId, user_id: 'fan-1' } });
    expect(external.body.data[0]).toMatchObject({ content: 'A person here.', role: 'assistant' });

    const first = await h.request('GET', '/get_conversation_messages', { key, query: { conversation_id: turn.conversation_id, limit: 3 } });
    const rest = await h.request('GET', '/get_conversation_messages', { key, query: { conversation_id: turn.conversation_id, limit: 3, cursor: first.body.next_cursor } });
    expect([...first.body.data, ...rest.body.data].map((m: any) => m.content)).toEqual(res.body.data.map((m: any) => m.content));
  });

  it('is admin only, and another account\'s conversation is a 404', async () => {
    const { key, pk, say } = await botWithKey(h, { name: 'Luna' });
    fake.next({ reply: 'ok' });
    const turn = (await say('fan-2', 'hello')).body;
    const stranger = await h.signup();
    expect((await h.request('GET', '/get_conversation_messages', { key: stranger.key, query: { conversation_id: turn.conversation_id } })).status).toBe(404);
    expect((await h.request('GET', '/get_conversation_messages', { key: pk, query: { conversation_id: turn.conversation_id } })).status).toBe(403);
    const bad = await h.request('GET', '/get_conversation_messages', { key, query: { conversation_id: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('conversation_id');
  });
});

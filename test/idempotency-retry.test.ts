import { beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from './support/harness.js';
import type { FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, useModelHarness } from './support/conversation.js';
import { systemContext } from '../src/core/context.js';
import { converse } from '../src/engine/converse.js';

// A retried conversation turn with the same Idempotency-Key stores the user's message once, whether
// the first attempt failed after storing it (a 5xx frees the key) or died before answering.

let fake: FakeOpenAi;
let h: Harness;
useModelHarness((harness, model) => ((h = harness), (fake = model)));
beforeEach(() => fake.reset());

const setup = () => botWithKey(h, { name: 'Luna', prompt: 'You are Luna.' });

const messagesOf = (accountId: string) =>
  h.database.db.selectFrom('messages').select(['id', 'role', 'content', 'status', 'source']).where('account_id', '=', accountId).orderBy('id').execute();

describe('conversation_api retried with the same Idempotency-Key', () => {
  it('after a model failure (5xx): the retry answers the stored message instead of storing it again', async () => {
    const { pk, bot, accountId } = await setup();
    const body = { api_key: pk, creator: bot.bot_id, user_id: 'fan-1', message: 'are you there?' };
    fake.next({ status: 500 }, { status: 500 });
    const first = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'retry-1' } });
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect((await messagesOf(accountId)).filter((m) => m.role === 'user')).toMatchObject([{ content: 'are you there?', status: 'unanswered' }]);

    fake.next({ reply: 'Here I am.' });
    const retry = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'retry-1' } });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ reply: 'Here I am.', source: 'model' });
    const stored = await messagesOf(accountId);
    expect(stored.filter((m) => m.role === 'user')).toMatchObject([{ id: retry.body.user_message_id, content: 'are you there?', status: 'ok' }]);
    expect(stored.filter((m) => m.role === 'assistant')).toMatchObject([{ id: retry.body.message_id, content: 'Here I am.' }]);

    // Answered now: the key replays, and the model is not asked again.
    const replay = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'retry-1' } });
    expect(replay.body).toMatchObject({ reply: 'Here I am.', message_id: retry.body.message_id });
    expect(fake.requests.filter((r) => r.messages).length).toBe(3);
    expect(await messagesOf(accountId)).toHaveLength(2);
  });

  it('after the first attempt died between storing the message and answering: the retry answers it once', async () => {
    const { pk, bot, accountId } = await setup();
    const message = 'still awake?';
    // The state a process killed mid-turn leaves: the message stored under the key, no reply, and the
    // key's record gone (its lock ran out), so the retry runs the request again.
    const botRow = await h.database.db.selectFrom('bots').selectAll().where('id', '=', bot.bot_id).executeTakeFirstOrThrow();
    const ctx = { ...systemContext(h.deps, accountId), idempotency: { scope: accountId, key: 'died-1' } };
    fake.next({ status: 500 }, { status: 500 });
    const turn = await converse(ctx, { bot: botRow, userId: 'fan-2', channel: 'api', message });
    await expect(turn.done).rejects.toThrow();
    await h.database.db.updateTable('messages').set({ status: 'pending' }).where('account_id', '=', accountId).execute();
    await h.database.db.deleteFrom('idempotency_keys').where('scope', '=', accountId).execute();

    fake.next({ reply: 'Wide awake.' });
    const body = { api_key: pk, creator: bot.bot_id, user_id: 'fan-2', message };
    const retry = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'died-1' } });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ reply: 'Wide awake.', user_message_id: turn.result.user_message_id });
    const stored = await messagesOf(accountId);
    expect(stored.filter((m) => m.role === 'user')).toMatchObject([{ content: message, status: 'ok' }]);
    expect(stored.filter((m) => m.role === 'assistant')).toMatchObject([{ content: 'Wide awake.' }]);
  });

  it('a stored reply is the answer to a retry whose key record was lost, streamed the same way', async () => {
    const { pk, bot, accountId } = await setup();
    const body = { api_key: pk, creator: bot.bot_id, user_id: 'fan-3', message: 'hello', stream: true };
    fake.next({ reply: 'Hi you.' });
    const first = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'lost-1' } });
    expect(first.status).toBe(200);
    await h.database.db.deleteFrom('idempotency_keys').where('scope', '=', accountId).execute();
    const retry = await h.request('POST', '/conversation_api', { body, headers: { 'idempotency-key': 'lost-1' } });
    expect(retry.status).toBe(200);
    expect(String(retry.body)).toContain('Hi you.');
    expect(fake.requests.filter((r) => r.messages).length).toBe(1);
    expect(await messagesOf(accountId)).toMatchObject([{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'Hi you.' }]);
  });

  it('the same key with another message after its record was freed is refused, not answered from the old one', async () => {
    const { pk, bot, accountId } = await setup();
    fake.next({ status: 500 }, { status: 500 });
    await h.request('POST', '/conversation_api', { body: { api_key: pk, creator: bot.bot_id, user_id: 'fan-4', message: 'one' }, headers: { 'idempotency-key': 'reuse-1' } });
    const other = await h.request('POST', '/conversation_api', { body: { api_key: pk, creator: bot.bot_id, user_id: 'fan-4', message: 'two' }, headers: { 'idempotency-key': 'reuse-1' } });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect((await messagesOf(accountId)).map((m) => m.content)).toEqual(['one']);
  });
});

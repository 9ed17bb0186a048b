import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { botWithKey, modelEnv } from './support/conversation.js';
import { SAFE_REPLY } from '../src/engine/safety.js';
import { AGE_CONFIRMED_REPLY } from '../src/engine/converse.js';
import { isAgeConfirmation, refusalFor } from '../src/engine/policy.js';
import { sql } from 'kysely';
import { newId } from '../src/core/ids.js';
import { SUMMARIZE_JOB, summarizeConversation } from '../src/engine/memory.js';

// The age gate, blocked topics, the moderation provider, the AI disclosure line and usage counters:
// what a bot's policy adds on top of the hard limits, on a real database against a fake model server.

let fake: FakeOpenAi;
let h: Harness;
let moderated: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAi('llm-secret');
  const llm = modelEnv(fake);
  h = await startHarness(llm);
  moderated = await startHarness({ ...llm, MODERATION_BASE_URL: fake.url, MODERATION_API_KEY: 'llm-secret', MODERATION_MODEL: 'mod-1' });
});
afterAll(async () => {
  await h.close();
  await moderated.close();
  await fake.close();
});
beforeEach(() => fake.reset());

async function setup(hh: Harness, policy: Record<string, unknown>, bot: Record<string, unknown> = {}) {
  const made = await botWithKey(hh, { name: 'Vera', prompt: 'You are Vera.', ...bot });
  const set = await hh.request('POST', '/edit_policy', { key: made.key, body: { bot_id: made.botId, policy } });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  const user = async (user_id: string) => (await hh.request('GET', '/get_user', { key: made.key, query: { bot_id: made.botId, user_id } })).body;
  return { ...made, user };
}

const messagesOf = (hh: Harness, conversationId: string) =>
  hh.database.db.selectFrom('messages').select(['role', 'content', 'status', 'source']).where('conversation_id', '=', conversationId).orderBy('id').execute();

describe('age gate', () => {
  it('asks an unverified user to confirm, makes no model call, then records the YES with time and channel and sends the held greeting', async () => {
    const { say, user } = await setup(h, { age_gate: true, age_confirmation_message: 'Adults only: reply YES if you are 18+.' }, { opening_message: 'Hey, I am Vera.' });
    const first = await say('fan-1', 'hi there');
    expect(first.body).toMatchObject({ reply: 'Adults only: reply YES if you are 18+.', source: 'age_gate', opening_message: null });
    const again = await say('fan-1', 'come on, talk to me');
    expect(again.body.reply).toBe('Adults only: reply YES if you are 18+.');
    expect(fake.requests).toHaveLength(0);
    expect((await user('fan-1')).age_verified).toBe(false);

    const before = Date.now();
    const yes = await say('fan-1', 'Yes, I am 21');
    expect(yes.body).toMatchObject({ reply: 'Hey, I am Vera.', source: 'age_gate' });
    expect(fake.requests).toHaveLength(0);
    const verified = await user('fan-1');
    expect(verified.age_verified).toBe(true);
    expect(Date.parse(verified.age_verified_at)).toBeGreaterThanOrEqual(before - 1000);
    const row = await h.database.db.selectFrom('end_users').select('age_verified_channel').where('user_id', '=', 'fan-1').where('bot_id', '=', (await h.database.db.selectFrom('conversations').select('bot_id').where('id', '=', yes.body.conversation_id).executeTakeFirstOrThrow()).bot_id).executeTakeFirstOrThrow();
    expect(row.age_verified_channel).toBe('api');

    fake.next({ reply: 'So, what brings you here?' });
    const talk = await say('fan-1', 'tell me about yourself');
    expect(talk.body).toMatchObject({ reply: 'So, what brings you here?', source: 'model' });
    // The gate exchange is not part of what the model reads; the greeting is.
    expect(fake.requests[0]!.messages.slice(1)).toEqual([
      { role: 'assistant', content: 'Hey, I am Vera.' },
      { role: 'user', content: 'tell me about yourself' },
    ]);
  });

  it('does not take a refusal or an unrelated message as a confirmation', async () => {
    const { say, user } = await setup(h, { age_gate: true });
    for (const msg of ['no', "I'm not 18", 'I am 16', 'why do you ask?']) {
      const res = await say('fan-2', msg);
      expect(res.body.source, msg).toBe('age_gate');
      expect(res.body.reply, msg).not.toBe(AGE_CONFIRMED_REPLY);
    }
    expect((await user('fan-2')).age_verified).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts age_confirmed from the widget interstitial: greeting and model reply at once', async () => {
    const { say, user } = await setup(h, { age_gate: true }, { opening_message: 'Welcome in.' });
    fake.next({ reply: 'Hello you.' });
    const res = await say('fan-3', 'hello', { age_confirmed: true });
    expect(res.body).toMatchObject({ opening_message: 'Welcome in.', reply: 'Hello you.', source: 'model' });
    expect((await user('fan-3')).age_verified).toBe(true);
  });

  it('lets users verified through create_user straight through', async () => {
    const { say, key, botId } = await setup(h, { age_gate: true });
    expect((await h.request('POST', '/create_user', { key, body: { bot_id: botId, user_id: 'fan-4', age_verified: true } })).status).toBe(200);
    fake.next({ reply: 'Hi!' });
    expect((await say('fan-4', 'hello')).body.source).toBe('model');
  });

  it('recognises confirmations and denials', () => {
    for (const yes of ['YES', 'yes', 'y', 'Yes!', "yes I'm 18", 'I am over 18', "i'm 25", '18+', 'I confirm']) expect(isAgeConfirmation(yes), yes).toBe(true);
    for (const no of ['no', 'nope', "I'm 17", 'not yet', "yes but I'm not 18", 'I am under 18', 'maybe', 'hello', 'I am 16']) expect(isAgeConfirmation(no), no).toBe(false);
  });
});

describe('blocked topics', () => {
  it('refuses a message on a blocked topic with the bot\'s reply, flags it and makes no model call', async () => {
    const { say } = await setup(h, { blocked_topics: ['politics', 'real address'], blocked_topic_reply: 'Not my thing, babe.' });
    const res = await say('fan-1', 'What do you think about Politics these days?');
    expect(res.body).toMatchObject({ reply: 'Not my thing, babe.', source: 'blocked_topic' });
    const where = await say('fan-1', 'send me your REAL address');
    expect(where.body.source).toBe('blocked_topic');
    expect(fake.requests).toHaveLength(0);
    const stored = await messagesOf(h, res.body.conversation_id);
    expect(stored.filter((m) => m.role === 'user').map((m) => [m.status, m.source])).toEqual([['flagged', 'blocked_topic'], ['flagged', 'blocked_topic']]);
  });

  it('replaces a model reply that turns to a blocked topic, in JSON and mid-stream', async () => {
    const { say } = await setup(h, { blocked_topics: ['crypto'] });
    fake.next({ reply: 'You should buy some crypto today.' });
    const res = await say('fan-2', 'any tips?');
    expect(res.body).toMatchObject({ reply: "That's something I don't talk about. Let's talk about something else.", source: 'blocked_topic' });

    fake.next({ reply: 'Well hello there. Let me tell you about crypto coins. They are great.' });
    const streamed = await say('fan-3', 'any tips?', { stream: true });
    const events = streamed.body.split('\n\n').filter(Boolean).map((b: string) => /^event: (.*)$/m.exec(b)![1]);
    expect(events).toContain('replace');
    expect(streamed.body).not.toContain('They are great');
  });

  it('matches whole words and plurals only', () => {
    const policy = { blocked_topics: ['war'], blocked_topic_reply: 'no' };
    expect(refusalFor(policy, 'tell me about the wars')?.source).toBe('blocked_topic');
    expect(refusalFor(policy, 'a warm hug')).toBeNull();
    expect(refusalFor(policy, 'software')).toBeNull();
  });
});

describe('moderation provider', () => {
  it('checks the user message and the reply with the configured model and key; adult content alone passes', async () => {
    const { say } = await setup(moderated, {});
    fake.flag('spicy', ['sexual']);
    fake.next({ reply: 'Mm, spicy indeed.' });
    const res = await say('fan-1', 'let us get spicy');
    expect(res.body).toMatchObject({ reply: 'Mm, spicy indeed.', source: 'model' });
    expect(fake.moderated).toEqual(['let us get spicy', 'Mm, spicy indeed.']);
  });

  it('refuses a user message flagged in a blocking category without asking the model', async () => {
    const { say } = await setup(moderated, {});
    fake.flag('hurt them', ['harassment/threatening']);
    const res = await say('fan-2', 'I will hurt them');
    expect(res.body).toMatchObject({ reply: SAFE_REPLY, source: 'moderation' });
    expect(fake.requests).toHaveLength(0);
    const stored = await messagesOf(moderated, res.body.conversation_id);
    expect(stored.find((m) => m.role === 'user')).toMatchObject({ status: 'flagged', source: 'moderation' });
  });

  it('replaces a flagged reply, and holds a streamed reply back until it passed', async () => {
    const { say } = await setup(moderated, {});
    fake.flag('do it now', ['self-harm/instructions']);
    fake.next({ reply: 'Sure. Here is how, do it now.' });
    const res = await say('fan-3', 'help');
    expect(res.body).toMatchObject({ reply: SAFE_REPLY, source: 'moderation' });

    fake.next({ reply: 'First sentence. Second sentence. Third, do it now.' });
    const streamed = await say('fan-4', 'help', { stream: true });
    expect(streamed.body).not.toContain('First sentence');
    expect(streamed.body).toContain(JSON.stringify(SAFE_REPLY).slice(1, -1));
  });

  it('a moderation outage is a 502 naming it, and the message stays unanswered', async () => {
    const { say } = await setup(moderated, {});
    fake.failModeration(500);
    const res = await say('fan-5', 'hello');
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/^moderation:/);
    expect(fake.requests).toHaveLength(0);
    const conv = await moderated.database.db.selectFrom('messages').select(['status']).where('content', '=', 'hello').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(conv.status).toBe('unanswered');
  });
});

describe('AI disclosure', () => {
  it('opens conversations on the listed channels with the line, and tells the model not to deny being an AI', async () => {
    const { say } = await setup(h, { ai_disclosure: 'You are chatting with an AI.' }, { opening_message: 'Hi, I am Vera.' });
    fake.next({ reply: 'Hello!' });
    const res = await say('fan-1', 'hey');
    expect(res.body.opening_message).toBe('You are chatting with an AI.\n\nHi, I am Vera.');
    expect(fake.requests[0]!.messages[0].content).toContain('say that you are an AI');
    // The line is shown to the user, not fed back to the model as something the bot said.
    expect(fake.requests[0]!.messages.slice(1).map((m: any) => m.content)).toEqual(['Hi, I am Vera.', 'hey']);
  });

  it('stays off on channels not listed', async () => {
    const { say } = await setup(h, { ai_disclosure: 'You are chatting with an AI.', ai_disclosure_channels: ['sms'] }, { opening_message: 'Hi.' });
    fake.next({ reply: 'Hello!' });
    const res = await say('fan-1', 'hey');
    expect(res.body.opening_message).toBe('Hi.');
    expect(fake.requests[0]!.messages[0].content).not.toContain('say that you are an AI');
  });
});

describe('usage counters', () => {
  it('counts replies, model calls and tokens per account, bot and day in the turn\'s transaction', async () => {
    const { say, accountId, botId, key } = await setup(h, {});
    fake.next({ reply: 'one two three' }, { reply: 'four five' });
    await say('fan-1', 'hello');
    await say('fan-1', 'again');
    expect((await h.request('POST', '/retrain_response', { key, body: { bot_id: botId, question: 'what are your hours', response: 'Always open.' } })).status).toBe(200);
    expect((await say('fan-1', 'what are your hours')).body.source).toBe('retrained');
    const rows = await h.database.db.selectFrom('usage_daily').selectAll().where('account_id', '=', accountId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ bot_id: botId, replies: 3, model_calls: 2 });
    expect(Number(rows[0]!.tokens_in)).toBe(22);
    expect(Number(rows[0]!.tokens_out)).toBe(5);
  });
});

describe('running summary', () => {
  // No worker runs in this server: the test runs the queued job itself, so the fake model's answers
  // arrive in a known order.
  let api: Harness;
  beforeAll(async () => {
    api = await startHarness(modelEnv(fake), { role: 'api' });
  });
  afterAll(() => api.close());

  it('queues a summary when turns no longer fit the history budget; the job folds them into it and later prompts carry it instead', async () => {
    const { say, accountId } = await setup(api, {});
    fake.next({ reply: 'Hi Sam.' });
    const first = await say('fan-1', 'hello, I am Sam');
    const conversationId = first.body.conversation_id as string;
    const queued = () => sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${api.config.JOBS_SCHEMA}.job`)} where name = ${SUMMARIZE_JOB} and data->>'conversation_id' = ${conversationId}`.execute(api.database.db);
    expect((await queued()).rows[0]!.n).toBe(0); // everything still fits
    // 40 long turns (about 4,000 tokens): more than the 3,000-token history budget.
    const filler = 'I went sailing on the lake again and the wind was perfect for a long afternoon run. '.repeat(6);
    for (let i = 0; i < 40; i++) {
      await api.database.db.insertInto('messages').values({ id: newId('msg'), account_id: accountId, conversation_id: conversationId, role: i % 2 ? 'assistant' : 'user', content: `${i}: ${filler}` }).execute();
    }
    fake.next({ reply: 'Nice.' });
    await say('fan-1', 'what do you remember?');
    const sentTurns = fake.requests[1]!.messages.slice(1).map((m: any) => m.content as string);
    expect(sentTurns).not.toContain('hello, I am Sam'); // left out: over the budget
    expect(sentTurns.at(-1)).toBe('what do you remember?');
    expect((await queued()).rows[0]!.n).toBe(1);

    fake.next({ reply: 'Sam is a sailor who loves long afternoons on the lake.' });
    expect(await summarizeConversation(api.deps, conversationId)).toBe(1);
    const summarise = fake.requests[2]!;
    expect(summarise.messages[0].content).toContain('running memory');
    expect(summarise.messages[1].content).toContain('Person: hello, I am Sam');
    const conv = await api.database.db.selectFrom('conversations').select(['summary', 'summary_through']).where('id', '=', conversationId).executeTakeFirstOrThrow();
    expect(conv.summary).toBe('Sam is a sailor who loves long afternoons on the lake.');
    expect(await summarizeConversation(api.deps, conversationId)).toBe(0); // nothing left to fold

    fake.next({ reply: 'You sail!' });
    await say('fan-1', 'so?');
    const next = fake.requests[3]!;
    expect(next.messages[0].content).toContain('Earlier in this conversation (summary): Sam is a sailor who loves long afternoons on the lake.');
    // Nothing the summary covers is sent again.
    const covered = new Set((await api.database.db.selectFrom('messages').select('content').where('conversation_id', '=', conversationId).where('id', '<=', conv.summary_through!).execute()).map((m) => m.content));
    expect(next.messages.slice(1).filter((m: any) => covered.has(m.content))).toEqual([]);
  });
});

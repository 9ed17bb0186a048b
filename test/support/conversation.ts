import { afterAll, beforeAll } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.js';
import { startHarness, type Harness } from './harness.js';

/** Settings that point a server's model at the fake OpenAI server (started with key 'llm-secret'). */
export const modelEnv = (fake: FakeOpenAi) => ({ LLM_BASE_URL: fake.url, LLM_API_KEY: 'llm-secret', LLM_MODEL: 'persona-1', LLM_TIMEOUT_MS: '2000' });

/** A test file's server whose model is a fake OpenAI server: both started before its tests, closed after them. */
export function useModelHarness(set: (h: Harness, fake: FakeOpenAi) => void, env: Record<string, string> = {}): void {
  let fake: FakeOpenAi | undefined;
  let h: Harness | undefined;
  beforeAll(async () => {
    fake = await startFakeOpenAi('llm-secret');
    h = await startHarness({ ...modelEnv(fake), ...env });
    set(h, fake);
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });
}

/** A new account with one bot and a conversation key for it; `say` talks to the bot as a fan through conversation_api. */
export async function botWithKey(hh: Harness, bot: Record<string, unknown>) {
  const { key, accountId } = await hh.signup();
  const created = await hh.createBot(key, bot);
  const pk: string = (await hh.request('POST', '/create_api_key', { key, body: { name: 'widget', scope: 'conversation', bot_ids: [created.bot_id] } })).body.key;
  const say = (user_id: string, message: string, extra: Record<string, unknown> = {}) =>
    hh.request('POST', '/conversation_api', { body: { api_key: pk, creator: created.bot_id, user_id, message, ...extra } });
  return { key, pk, accountId, bot: created, botId: created.bot_id as string, say };
}

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

it('serves health', async () => {
  const res = await h.request('GET', '/readyz');
  expect(res.status).toBe(200);
  const { key } = await h.signup();
  const bot = await h.createBot(key);
  expect(bot.bot_id).toMatch(/^bot_/);
});

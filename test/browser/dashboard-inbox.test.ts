import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { audit, creator, openPage, type Session } from '../support/dashboard.js';

// The inbox: find a fan's conversation, take it over and answer as the operator, hand it back,
// correct a bot reply, rate it, and look after the user (tags, block, delete) — checked through the API.

describe.skipIf(!hasChromium)('dashboard: inbox', () => {
  let w: BrowserWorld;
  let key: string;
  let session: Session;
  let botId: string;
  let convKey: string;

  beforeAll(async () => {
    w = await startBrowserWorld();
    ({ key, botId, session } = await creator(w, 'Luna'));
    const ck = await w.h.request('POST', '/create_api_key', { key, body: { name: 'site', scope: 'conversation', bot_ids: [botId] } });
    expect(ck.status, JSON.stringify(ck.body)).toBe(200);
    convKey = ck.body.key;
  });
  afterAll(async () => w?.close());

  const say = async (message: string, userId = 'fan-1') => {
    const res = await w.h.request('POST', '/conversation_api', { body: { api_key: convKey, creator: botId, user_id: userId, message } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  const openInbox = (width: number) => openPage(w, session, '/app/inbox', { width, heading: 'Inbox' });

  async function findAndOpen(page: Page, userId: string) {
    await page.getByLabel('Search conversations').fill(userId);
    // The list shown until then may also hold this user: wait for the answer to this search, then for the list it gives.
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/get_conversations' && r.request().postDataJSON()?.search === userId),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    expect(((await answer.json()) as { data: Array<{ user_id: string }> }).data.map((c) => c.user_id)).toEqual([userId]);
    await page.waitForFunction((id) => {
      const items = (globalThis as any).document.querySelectorAll('.inbox-items li');
      return items.length === 1 && (items[0].textContent as string).includes(id);
    }, userId);
    const item = page.locator('.inbox-items button', { hasText: userId });
    expect(await item.count()).toBe(1);
    await item.click();
    await page.getByRole('switch', { name: 'Take over' }).waitFor();
  }

  it('takes a conversation over, answers as the operator, hands it back, corrects and rates a reply, blocks the user', async () => {
    w.llm.next({ reply: 'Hello fan!' });
    await say('hi');
    await say('hello there', 'someone-else');
    const { ctx, page, errors, urls } = await openInbox(1280);

    await findAndOpen(page, 'fan-1');
    await page.locator('li.msg.assistant', { hasText: 'Hello fan!' }).waitFor();
    expect(await page.locator('li.msg.user').first().textContent()).toContain('hi');

    // Take over and reply as the operator.
    const takeover = page.getByRole('switch', { name: 'Take over' });
    await takeover.click();
    await page.locator('[role=switch][aria-checked="true"]', { hasText: 'Take over' }).waitFor();
    await page.getByLabel('Reply as operator').fill('A human here, how can I help?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('li.msg.operator', { hasText: 'A human here, how can I help?' }).waitFor();
    const external = await w.h.request('GET', '/get_conversation_external', { query: { api_key: convKey, creator: botId, user_id: 'fan-1' } });
    expect(external.body.data.map((m: any) => m.content)).toContain('A human here, how can I help?');

    // After a reload the page reads the stored authors (get_conversation_messages): still the operator's.
    await page.reload();
    await findAndOpen(page, 'fan-1');
    await page.locator('li.msg.operator', { hasText: 'A human here, how can I help?' }).waitFor();
    expect(await page.locator('li.msg.assistant', { hasText: 'A human here' }).count()).toBe(0);

    // While taken over, a fan's message reaches no model.
    const before = w.llm.requests.length;
    const quiet = await say('are you a real person?');
    expect(quiet).toMatchObject({ reply: null, takeover: true });
    expect(w.llm.requests.length).toBe(before);
    const listed = await w.h.request('POST', '/get_conversations', { key, body: { user_id: 'fan-1' } });
    expect(listed.body.data[0].bot_enabled).toBe(false);

    // Hand back: the bot answers again.
    await takeover.click();
    await page.locator('[role=switch][aria-checked="false"]', { hasText: 'Take over' }).waitFor();
    w.llm.next({ reply: 'Bot is back.' });
    const back = await say('still there?');
    expect(back.reply).toBe('Bot is back.');
    expect(w.llm.requests.length).toBe(before + 1);

    // Correct that reply in place: later, the same question gets the corrected answer without the model.
    await page.getByRole('button', { name: 'Refresh' }).click();
    const reply = page.locator('li.msg.assistant', { hasText: 'Bot is back.' });
    await reply.waitFor();
    await reply.getByRole('button', { name: 'Correct' }).click();
    // Editing replaces the text with a textarea (the only one open).
    await page.getByLabel('Corrected reply').fill('Yes, I am right here for you.');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page.locator('li.msg.assistant', { hasText: 'Yes, I am right here for you.' }).getByText('Corrected').waitFor();
    const again = await say('Still there?');
    expect(again).toMatchObject({ reply: 'Yes, I am right here for you.', source: 'retrained' });
    expect(w.llm.requests.length).toBe(before + 1);
    // The curated answer shows where it came from.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('li.msg.assistant', { hasText: 'Yes, I am right here for you.' }).getByText('curated').waitFor();

    // Rate the first bot reply (feedback_api with the dashboard's session).
    const hello = page.locator('li.msg.assistant', { hasText: 'Hello fan!' });
    await hello.getByRole('button', { name: 'Bad reply' }).click();
    await hello.locator('button[aria-label="Bad reply"][aria-pressed="true"]').waitFor();
    // The stored rating comes back with the conversation: pressed after a reload, the other one not.
    await page.reload();
    await findAndOpen(page, 'fan-1');
    const reloaded = page.locator('li.msg.assistant', { hasText: 'Hello fan!' });
    await reloaded.locator('button[aria-label="Bad reply"][aria-pressed="true"]').waitFor();
    expect(await reloaded.getByRole('button', { name: 'Good reply' }).getAttribute('aria-pressed')).toBe('false');

    // The user beside the conversation: tags and block.
    await page.getByLabel('Tags').fill('vip, early');
    await page.getByRole('button', { name: 'Save tags' }).click();
    await page.getByRole('switch', { name: 'Blocked' }).click();
    await page.locator('[role=switch][aria-checked="true"]', { hasText: 'Blocked' }).waitFor();
    const user = await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: 'fan-1' } });
    expect(user.body).toMatchObject({ blocked: true, tags: ['vip', 'early'] });

    await audit(page, 'inbox', 1280);
    expect(errors).toEqual([]);
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();
  }, 120_000);

  it('works at 360 px wide and deletes a user after a confirm step', async () => {
    await say('a message from a small screen', 'fan-2');
    // The model fails: the fan's message stays unanswered, and the inbox says so beside it.
    w.llm.next({ status: 500 }, { status: 500 });
    const failed = await w.h.request('POST', '/conversation_api', { body: { api_key: convKey, creator: botId, user_id: 'fan-2', message: 'is anyone there?' } });
    expect(failed.status, JSON.stringify(failed.body)).toBe(502);
    const { ctx, page } = await openInbox(360);
    await findAndOpen(page, 'fan-2');
    await page.locator('li.msg.user', { hasText: 'a message from a small screen' }).waitFor();
    await page.locator('li.msg.user', { hasText: 'is anyone there?' }).locator('.inbox-note', { hasText: 'unanswered' }).waitFor();
    expect(await page.locator('li.msg.user', { hasText: 'a message from a small screen' }).locator('.inbox-note').count()).toBe(0);
    await audit(page, 'inbox', 360);

    await page.getByRole('button', { name: 'Delete user' }).click();
    // Nothing is erased before the second step.
    expect((await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: 'fan-2' } })).status).toBe(200);
    await page.getByRole('button', { name: 'Confirm delete' }).click();
    await page.getByText('Choose a conversation to read it.').waitFor();
    expect((await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: 'fan-2' } })).status).toBe(404);
    await ctx.close();
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { makeWidgetBot } from '../support/widget.js';

describe.skipIf(!hasChromium)('chat widget: a reply that fails after the message was stored', () => {
  let w: BrowserWorld;
  beforeAll(async () => {
    w = await startBrowserWorld();
  });
  afterAll(async () => w?.close());

  it('keeps the message shown as not answered, does not offer to send it again, and stores it once', async () => {
    const { botId, convKey } = await makeWidgetBot(w, { origins: [] });
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(await w.hostPage({ 'data-bot': botId, 'data-key': convKey }));
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();

    // The model fails (and its retry too): the stream has started, then ends with an error event.
    w.llm.next({ status: 500 }, { status: 500 });
    await box.fill('are you there?');
    await box.press('Enter');
    await page.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    const mine = page.locator('[data-sinth-widget]').locator('.msg.user', { hasText: 'are you there?' });
    expect(await mine.getAttribute('class')).toContain('unanswered');
    expect(await box.inputValue()).toBe('');

    // The next message is a new one, answered; the failed one was stored once.
    w.llm.next({ reply: 'Yes, here now.' });
    await box.fill('hello?');
    await box.press('Enter');
    await page.getByRole('log').getByText('Yes, here now.').waitFor();
    const conv = await w.h.request('GET', '/get_conversation_external', { query: { api_key: convKey, creator: botId, user_id: await page.evaluate<string>(`localStorage.getItem('sinth:${botId}:user')`) } });
    expect(conv.body.data.filter((m: any) => m.content === 'are you there?')).toHaveLength(1);
    await ctx.close();
  });
});

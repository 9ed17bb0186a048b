import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { makeWidgetBot } from '../support/widget.js';

const OPENING = 'Hi, I am Luna! Ask me anything.';

const AGE_GATE = 'This chat is for adults. Please confirm you are 18 or older.';

/** An account, a styled bot and a conversation key for the given origins. */
const makeBot = (w: BrowserWorld, opts: { origins: string[]; ageGate?: boolean }) =>
  makeWidgetBot(w, {
    origins: opts.origins,
    name: 'Luna',
    ui: { title: 'Luna Chat', primary_color: '#0b5394', launcher_text: 'Talk to Luna', theme: 'light' },
    openingMessage: OPENING,
    ...(opts.ageGate ? { ageGate: AGE_GATE } : {}),
  });

const logText = (page: Page) => page.getByRole('log').innerText();
const userIdIn = (page: Page, botId: string) => page.evaluate((b) => (globalThis as any).localStorage.getItem(`sinth:${b}:user`), botId);

const SEEN = 'sinth-test:reply-texts';

/**
 * Starts recording every text the last bot bubble shows until it reads `full` (watched in the page, so
 * no frame is missed). Resolves once the observer is installed; `seen(page)` then waits for the texts.
 */
async function watchReply(page: Page, full: string): Promise<void> {
  await page.evaluate(
    ({ target, slot }) => {
      const g = globalThis as any;
      const log = g.document.querySelector('[data-sinth-widget]')!.shadowRoot!.querySelector('[role=log]')!;
      g[Symbol.for(slot)] = new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        const look = () => {
          const bubbles = log.querySelectorAll('.msg.assistant');
          const text = bubbles[bubbles.length - 1]?.lastElementChild?.textContent ?? '';
          if (seen[seen.length - 1] !== text) seen.push(text);
          if (text === target) {
            obs.disconnect();
            resolve(seen);
          }
        };
        const obs = new g.MutationObserver(look);
        obs.observe(log, { subtree: true, childList: true, characterData: true });
      });
    },
    { target: full, slot: SEEN },
  );
}
const seenReply = (page: Page) => page.evaluate((slot) => (globalThis as any)[Symbol.for(slot)] as Promise<string[]>, SEEN);

describe.skipIf(!hasChromium)('chat widget: embed, stream, history, refusals, age gate', () => {
  let w: BrowserWorld;
  let hostOrigin: string;
  beforeAll(async () => {
    w = await startBrowserWorld();
    hostOrigin = new URL(await w.hostPage({})).origin;
  });
  afterAll(async () => w?.close());

  it('takes the bot\'s handle as data-bot: its look, greeting and age gate come from the handle', async () => {
    const { handle, convKey } = await makeBot(w, { origins: [hostOrigin], ageGate: true });
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(await w.hostPage({ 'data-bot': handle, 'data-key': convKey }));
    await page.getByRole('button', { name: 'Open chat: Talk to Luna' }).click();
    await page.getByRole('dialog', { name: 'Luna Chat' }).waitFor();
    await page.getByText(AGE_GATE).waitFor();
    await ctx.close();
  });

  it('embeds on another origin, looks as configured, streams the reply and stores the turn; the conversation continues after a reload', async () => {
    const { key, botId, convKey } = await makeBot(w, { origins: [hostOrigin] });
    const url = await w.hostPage({ 'data-bot': botId, 'data-key': convKey });
    const ctx = await w.context();
    const page = await ctx.newPage();
    const urls = recordRequests(page);
    await page.goto(url);

    const launcher = page.getByRole('button', { name: 'Open chat: Talk to Luna' });
    await launcher.waitFor();
    await launcher.click();
    const dialog = page.getByRole('dialog', { name: 'Luna Chat' });
    await dialog.waitFor();
    expect(await launcher.count()).toBe(0);
    expect(await page.locator('[data-sinth-widget] .launcher').getAttribute('aria-expanded')).toBe('true');
    const header = await dialog.locator('.head').evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor);
    expect(header).toBe('rgb(11, 83, 148)');
    await page.getByRole('log').getByText(OPENING).waitFor();

    // The server releases a reply a sentence at a time: three sentences, three steps.
    const REPLY = 'Hello there friend. How are you today? I am glad you came.';
    w.llm.next({ reply: REPLY, chunkDelayMs: 30 });
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Hi Luna');
    await watchReply(page, REPLY);
    await box.press('Enter');
    const texts = await seenReply(page);
    // The reply grew in place: some text short of the whole reply was on screen first.
    expect(texts.some((t) => t.trim().length > 0 && t.trim() !== REPLY && REPLY.startsWith(t.trim()))).toBe(true);
    expect(await box.inputValue()).toBe('');
    expect(await logText(page)).toContain('Hi Luna');
    await snapshot(page, 'widget-open-desktop');

    const userId = await userIdIn(page, botId);
    expect(userId).toMatch(/^web_[0-9a-f-]{36}$/);
    const stored = await w.h.request('GET', '/get_conversation_external', { query: { api_key: convKey, creator: botId, user_id: userId! } });
    expect(stored.status).toBe(200);
    const contents = stored.body.data.map((m: any) => `${m.role}:${m.content}`);
    expect(contents).toContain('user:Hi Luna');
    expect(contents).toContain(`assistant:${REPLY}`);
    expect(w.llm.requests.at(-1)!.messages.at(-1).content).toContain('Hi Luna');

    // Back on the page later: the same user, the conversation shown oldest first.
    await page.reload();
    await page.getByRole('button', { name: 'Open chat: Talk to Luna' }).click();
    await page.getByRole('log').getByText(REPLY).waitFor();
    expect(await userIdIn(page, botId)).toBe(userId);
    const text = await logText(page);
    expect(text.indexOf('Hi Luna')).toBeGreaterThan(-1);
    expect(text.indexOf('Hi Luna')).toBeLessThan(text.indexOf(REPLY));

    // Another browser is another fan: a new id and only the greeting.
    const other = await (await w.context()).newPage();
    await other.goto(url);
    await other.getByRole('button', { name: 'Open chat: Talk to Luna' }).click();
    await other.getByRole('log').getByText(OPENING).waitFor();
    expect(await logText(other)).not.toContain('Hi Luna');
    const otherId = await userIdIn(other, botId);
    expect(otherId).toMatch(/^web_/);
    expect(otherId).not.toBe(userId);

    expect(urls.every((u) => u.startsWith(w.base) || u.startsWith(hostOrigin))).toBe(true);
    const inbox = await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId } });
    expect(inbox.body.data.map((c: any) => c.user_id)).toEqual([userId]);
    await ctx.close();
    await other.context().close();
  });

  it('on an origin the key does not allow, shows the API refusal, keeps the text and stores nothing', async () => {
    const { key, botId, convKey } = await makeBot(w, { origins: ['https://creator.example'] });
    const url = await w.hostPage({ 'data-bot': botId, 'data-key': convKey });
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const alert = page.getByRole('alert');
    await alert.getByText(`This key may not be used from origin ${hostOrigin}.`).waitFor();

    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Is anyone there?');
    await page.evaluate(() => ((globalThis as any).document.querySelector('[data-sinth-widget]')!.shadowRoot!.querySelector('[role=alert]')!.textContent = ''));
    await box.press('Enter');
    await alert.getByText(`This key may not be used from origin ${hostOrigin}.`).waitFor();
    expect(await box.inputValue()).toBe('Is anyone there?');
    expect(await logText(page)).not.toContain('Is anyone there?');
    // Retry is possible: the send button is enabled again.
    expect(await page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);

    const inbox = await w.h.request('POST', '/get_conversations', { key, body: { bot_id: botId } });
    expect(inbox.status).toBe(200);
    expect(inbox.body.data).toEqual([]);
    await ctx.close();
  });

  it('asks for age confirmation before the first message and sends age_confirmed once confirmed', async () => {
    const { key, botId, convKey } = await makeBot(w, { origins: [hostOrigin], ageGate: true });
    const url = await w.hostPage({ 'data-bot': botId, 'data-key': convKey });

    // Declining: a short note and no message box.
    const leaving = await (await w.context()).newPage();
    await leaving.goto(url);
    await leaving.getByRole('button', { name: /^Open chat/ }).click();
    await leaving.getByRole('button', { name: 'Leave' }).click();
    await leaving.getByText('This chat is for adults only.').waitFor();
    expect(await leaving.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await leaving.context().close();

    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await page.getByText(AGE_GATE).waitFor();
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await snapshot(page, 'widget-age-gate');
    await page.getByRole('button', { name: 'I am 18 or older' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    expect(await box.evaluate((e) => (e.getRootNode() as any).activeElement === e)).toBe(true);

    const before = w.llm.requests.length;
    w.llm.next({ reply: 'Welcome aboard' });
    await box.fill('Hello there');
    await box.press('Enter');
    await page.getByRole('log').getByText('Welcome aboard').waitFor();
    // The model answered this message: confirming let it through the gate at once.
    expect(w.llm.requests.length).toBeGreaterThan(before);
    expect(JSON.stringify(w.llm.requests.at(-1)!.messages)).toContain('Hello there');
    const userId = await userIdIn(page, botId);
    const user = await w.h.request('GET', '/get_user', { key, query: { bot_id: botId, user_id: userId! } });
    expect(user.status).toBe(200);
    expect(user.body.age_verified).toBe(true);

    // Remembered in this browser: no interstitial next time.
    await page.reload();
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await page.getByRole('log').getByText('Welcome aboard').waitFor();
    expect(await page.getByRole('button', { name: 'I am 18 or older' }).count()).toBe(0);
    await ctx.close();
  });

  it('retries a message whose answer was lost with the same Idempotency-Key: sent once, answer shown', async () => {
    const { botId, convKey } = await makeBot(w, { origins: [hostOrigin] });
    const url = await w.hostPage({ 'data-bot': botId, 'data-key': convKey });
    const ctx = await w.context();
    const page = await ctx.newPage();
    const keys: string[] = [];
    let dropped = false;
    // The first answer reaches the server and is complete there, then the connection drops.
    await page.route(`${w.base}/conversation_api`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (dropped) return route.continue();
      dropped = true;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    const before = w.llm.requests.length;
    w.llm.next({ reply: 'Only once.' });
    await box.fill('Say it once');
    await box.press('Enter');
    await page.getByRole('alert').getByText(/reach the chat server/).waitFor();
    expect(await box.inputValue()).toBe('Say it once');

    await box.press('Enter');
    await page.getByRole('log').getByText('Only once.').waitFor();
    expect(await page.locator('[data-sinth-widget] [role=alert]').textContent()).toBe('');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(w.llm.requests.length - before).toBe(1);
    const userId = await userIdIn(page, botId);
    const stored = await w.h.request('GET', '/get_conversation_external', { query: { api_key: convKey, creator: botId, user_id: userId! } });
    expect(stored.body.data.filter((m: any) => m.content === 'Say it once')).toHaveLength(1);
    await ctx.close();
  });

  it('a message sent while the history is still loading is posted after it and shown once', async () => {
    const { botId, convKey } = await makeBot(w, { origins: [hostOrigin] });
    const ctx = await w.context();
    const page = await ctx.newPage();
    // The setup's policy read and the history read are held until a message has been answered, or for
    // a second: a widget that posts before either is back gets a history already holding its message.
    let answered!: () => void;
    const turnDone = new Promise<void>((resolve) => (answered = resolve));
    page.on('requestfinished', (r) => r.method() === 'POST' && r.url().endsWith('/conversation_api') && answered());
    const holdBack = async (route: Route) => {
      await Promise.race([turnDone, new Promise((r) => setTimeout(r, 1000))]);
      await route.continue();
    };
    await page.route(`${w.base}/get_policy?**`, holdBack);
    await page.route(`${w.base}/get_conversation_external?**`, holdBack);
    await page.goto(await w.hostPage({ 'data-bot': botId, 'data-key': convKey }));
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    w.llm.next({ reply: 'Heard you.' });
    await box.fill('early bird');
    await box.press('Enter');
    await page.getByRole('log').getByText('Heard you.').waitFor();
    expect(await page.getByRole('log').getByText('early bird').count()).toBe(1);
    await ctx.close();
  });

  it('while a person has taken over, shows no bot reply but a note', async () => {
    const { key, botId, convKey } = await makeBot(w, { origins: [hostOrigin] });
    expect((await w.h.request('POST', '/toggle_bot_response', { key, body: { bot_id: botId, enabled: false } })).status).toBe(200);
    const url = await w.hostPage({ 'data-bot': botId, 'data-key': convKey });
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Can a human help?');
    const before = w.llm.requests.length;
    await box.press('Enter');
    await page.getByText('A person will answer here.').waitFor();
    expect(await page.locator('[data-sinth-widget] .msg.assistant').count()).toBe(1); // the greeting only
    expect(w.llm.requests.length).toBe(before);
    const userId = await userIdIn(page, botId);
    const stored = await w.h.request('GET', '/get_conversation_external', { query: { api_key: convKey, creator: botId, user_id: userId! } });
    expect(stored.body.data.map((m: any) => m.content)).toContain('Can a human help?');
    await ctx.close();
  });
});

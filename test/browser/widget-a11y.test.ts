import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, hasChromium, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { makeWidgetBot } from '../support/widget.js';

/** axe over the whole page (open shadow roots included), less the host page's own deliberately red button. */
async function widgetAxe(page: Page) {
  const found = await axeViolations(page);
  return found.map((v) => ({ ...v, nodes: v.nodes.filter((n) => n !== '#host-button') })).filter((v) => v.nodes.length);
}

/** What has focus, looking into the widget's shadow root. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const a = (globalThis as any).document.activeElement;
    const inner = a?.shadowRoot?.activeElement;
    return inner ? `widget:${inner.tagName.toLowerCase()}:${inner.getAttribute('aria-label') ?? inner.textContent}` : `page:${a?.tagName.toLowerCase()}`;
  });

describe.skipIf(!hasChromium)('chat widget: keyboard, small screens, isolation, axe', () => {
  let w: BrowserWorld;
  let hostOrigin: string;
  let bot: { botId: string; convKey: string };
  let url: string;
  beforeAll(async () => {
    w = await startBrowserWorld();
    hostOrigin = new URL(await w.hostPage({})).origin;
    bot = await makeWidgetBot(w, {
      origins: [hostOrigin],
      name: 'Nova',
      ui: { title: 'Nova', launcher_text: 'Ask Nova', avatar_url: 'https://cdn.example.com/nova.png' },
      openingMessage: 'Hello from Nova.',
    });
    url = await w.hostPage({ 'data-bot': bot.botId, 'data-key': bot.convKey });
  });
  afterAll(async () => w?.close());

  it('works with the keyboard alone', async () => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Open chat: Ask Nova' }).waitFor();
    for (let i = 0; i < 6 && (await focused(page)) !== 'widget:button:Open chat: Ask Nova'; i++) await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('widget:button:Open chat: Ask Nova');

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-label') === 'Message');
    w.llm.next({ reply: 'Typed without a mouse.' });
    await page.keyboard.type('Hello by keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('log').getByText('Typed without a mouse.').waitFor();
    expect(await page.getByRole('log').innerText()).toContain('Hello by keyboard');
    // Shift+Enter is a new line, not a send.
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('line one\nline two');

    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await focused(page)).toBe('widget:button:Open chat: Ask Nova');
    expect(await page.getByRole('button', { name: 'Open chat: Ask Nova' }).getAttribute('aria-expanded')).toBe('false');
    await ctx.close();
  });

  it('fits a 360-pixel-wide screen', async () => {
    const ctx = await w.context({ width: 360 });
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Nova' });
    await dialog.waitFor();
    await page.getByRole('log').getByText('Hello from Nova.').waitFor();
    const box = (await dialog.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(box.width).toBeGreaterThan(340);
    const input = (await page.getByRole('textbox', { name: 'Message' }).boundingBox())!;
    expect(input.y + input.height).toBeLessThanOrEqual(800);
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await snapshot(page, 'widget-open-360');
    await page.getByRole('button', { name: 'Close chat' }).first().click();
    await dialog.waitFor({ state: 'hidden' });
    const launcher = (await page.getByRole('button', { name: /^Open chat/ }).boundingBox())!;
    expect(launcher.x + launcher.width).toBeLessThanOrEqual(360);
    await snapshot(page, 'widget-closed-360');
    await ctx.close();
  });

  it('is isolated from the host page: its CSS, its globals, third-party hosts', async () => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    const urls = recordRequests(page);
    // What the page's window held before any script ran (kept under a symbol, which Object.keys skips).
    // A route-served page cannot be used to load the script on demand: Chromium then blocks the
    // loopback server as a private-network request.
    await ctx.addInitScript(() => {
      (globalThis as any)[Symbol.for('before')] = { keys: Object.keys((globalThis as any).window) };
    });
    await page.goto(url);
    const launcher = page.getByRole('button', { name: 'Open chat: Ask Nova' });
    await launcher.waitFor();
    await launcher.click();
    await page.getByRole('log').getByText('Hello from Nova.').waitFor();
    const added = await page.evaluate(() => {
      const before = (globalThis as any)[Symbol.for('before')] as { keys: string[] };
      return Object.keys((globalThis as any).window).filter((k) => !before.keys.includes(k));
    });
    expect(added).toEqual([]);
    // Nothing in the page's head, and only the page's own stylesheet.
    expect(await page.evaluate(() => [(globalThis as any).document.head.querySelectorAll('style, link').length, (globalThis as any).document.styleSheets.length])).toEqual([1, 1]);

    const inside = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const hosts = [...doc.body.children].filter((e: any) => e.shadowRoot) as any[];
      const root = hosts[0]!.shadowRoot!;
      return {
        hosts: hosts.length,
        mode: root.mode,
        colors: [...root.querySelectorAll('button')].filter((b: any) => b.getClientRects().length).map((b: any) => (globalThis as any).getComputedStyle(b).color),
        fonts: (globalThis as any).getComputedStyle(root.querySelector('[role=log]')!).fontFamily,
        inlineHandlers: [...root.querySelectorAll('*')].flatMap((e: any) => [...e.attributes].map((a: any) => a.name as string)).filter((n) => n.startsWith('on')),
        avatar: root.querySelector('.avatar')!.textContent,
        images: root.querySelectorAll('img').length,
        iframes: (globalThis as any).document.querySelectorAll('iframe').length + root.querySelectorAll('iframe').length,
      };
    });
    expect(inside.hosts).toBe(1);
    expect(inside.mode).toBe('open');
    expect(inside.colors.length).toBeGreaterThanOrEqual(3);
    expect(inside.colors).not.toContain('rgb(255, 0, 0)');
    expect(inside.fonts).not.toMatch(/^serif$/);
    expect(inside.inlineHandlers).toEqual([]);
    expect(inside.iframes).toBe(0);
    // A third-party avatar is not loaded: the title's initial stands in.
    expect(inside.avatar).toBe('N');
    expect(inside.images).toBe(0);
    expect(await page.locator('#host-button').evaluate((b) => (globalThis as any).getComputedStyle(b).color)).toBe('rgb(255, 0, 0)');
    expect(urls.length).toBeGreaterThan(2);
    expect(urls.filter((u) => !u.startsWith(w.base) && !u.startsWith(hostOrigin))).toEqual([]);
    await ctx.close();
  });

  it('has no serious or critical axe violations, open and after a reply', async () => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await page.getByRole('log').getByText('Hello from Nova.').waitFor();
    w.llm.next({ reply: 'All good here.' });
    await page.getByRole('textbox', { name: 'Message' }).fill('Check');
    await page.keyboard.press('Enter');
    await page.getByRole('log').getByText('All good here.').waitFor();
    expect(await widgetAxe(page)).toEqual([]);
    await ctx.close();
  });

  it('in dark mode too', async () => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await page.getByRole('log').getByText('Hello from Nova.').waitFor();
    const bg = await page.getByRole('dialog').evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor);
    expect(bg).toBe('rgb(17, 24, 39)');
    expect(await widgetAxe(page)).toEqual([]);
    await snapshot(page, 'widget-open-dark');
    await ctx.close();
  });
});

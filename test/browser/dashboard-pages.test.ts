import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, hasChromium, loggedInContext, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';

/** Every page of the dashboard, visited as a logged-in creator on a phone-sized and a desktop screen. */
describe.skipIf(!hasChromium)('dashboard: every page', () => {
  let w: BrowserWorld;
  let session: Record<string, string>;
  let pages: string[];
  beforeAll(async () => {
    w = await startBrowserWorld();
    const { key, email, password } = await w.h.signup();
    const bot = await w.h.createBot(key, { name: 'Luna' });
    session = (await w.h.request('POST', '/login', { body: { email, password } })).body;
    pages = ['/app', `/app/bots/${bot.bot_id}`, `/app/bots/${bot.bot_id}/knowledge`, `/app/bots/${bot.bot_id}/playground`, ...['inbox', 'numbers', 'calls', 'campaigns', 'analytics', 'webhooks', 'notifications', 'billing', 'keys', 'activity'].map((p) => `/app/${p}`)];
  });
  afterAll(async () => w?.close());

  for (const width of [360, 1280]) {
    it(`renders each page at ${width} px: no page-wide horizontal scroll, no request to another host, no serious accessibility violation`, async () => {
      const ctx = await loggedInContext(w, session, { width });
      const page = await ctx.newPage();
      const urls = recordRequests(page);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      for (const path of pages) {
        await page.goto(path);
        await page.locator('main h1').first().waitFor();
        // Let the page's first reads answer before judging it.
        await page.waitForLoadState('networkidle');
        expect.soft(await page.locator('main h1').first().textContent(), path).not.toBe('Not found');
        const scroll = await page.evaluate('document.documentElement.scrollWidth');
        expect.soft(scroll, `${path} is wider than the screen`).toBeLessThanOrEqual(width);
        expect.soft(await axeViolations(page), path).toEqual([]);
        await snapshot(page, `page${path.replace(/\/bot_[0-9a-z]+/, '/bot').replace(/\//g, '-')}-${width}`);
      }
      expect(errors).toEqual([]);
      expect(urls.filter((u) => !u.startsWith(w.base))).toEqual([]);
      await ctx.close();
    });
  }
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creator } from '../support/dashboard.js';
import { axeViolations, hasChromium, loggedInContext, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';

/** Every page of the dashboard, visited as a logged-in creator on a phone-sized and a desktop screen. */
describe.skipIf(!hasChromium)('dashboard: every page', () => {
  let w: BrowserWorld;
  let session: Record<string, string>;
  let pages: string[];
  beforeAll(async () => {
    w = await startBrowserWorld();
    const { botId, session: s } = await creator(w);
    session = s;
    pages = ['/app', `/app/bots/${botId}`, `/app/bots/${botId}/knowledge`, `/app/bots/${botId}/playground`, ...['inbox', 'numbers', 'calls', 'campaigns', 'analytics', 'webhooks', 'notifications', 'billing', 'keys', 'activity'].map((p) => `/app/${p}`)];
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

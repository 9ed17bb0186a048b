import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, creator, openPage } from '../support/dashboard.js';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';

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
      const { ctx, page, errors, urls } = await openPage(w, session, pages[0]!, { width });
      for (const path of pages) {
        if (path !== pages[0]) await page.goto(path);
        await page.locator('main h1').first().waitFor();
        // audit lets the page's first reads answer before judging it.
        await audit(page, `page${path.replace(/\/bot_[0-9a-z]+/, '/bot').replace(/\//g, '-')}`, width, { soft: true });
        expect.soft(await page.locator('main h1').first().textContent(), path).not.toBe('Not found');
      }
      expect(errors).toEqual([]);
      expect(urls.filter((u) => !u.startsWith(w.base))).toEqual([]);
      await ctx.close();
    });
  }
});

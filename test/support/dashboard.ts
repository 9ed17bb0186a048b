import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, loggedInContext, snapshot, type BrowserWorld } from './browser.js';

/** A new account with a bot, and a dashboard session for it (what /login gives the app). */
export async function creator(w: BrowserWorld, botName = 'Luna') {
  const { key, email, password, accountId } = await w.h.signup();
  const bot = await w.h.createBot(key, { name: botName });
  const login = await w.h.request('POST', '/login', { body: { email, password } });
  expect(login.status).toBe(200);
  return { key, accountId, botId: bot.bot_id as string, session: login.body as Record<string, string> };
}

/** A logged-in page at a width. */
export async function openPage(w: BrowserWorld, session: unknown, path: string, width = 1280) {
  const ctx = await loggedInContext(w, session, { width });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(path);
  await page.locator('main h1').first().waitFor();
  return { ctx, page, errors };
}

/** The page as it stands: no serious accessibility violation, no page-wide horizontal scroll, a screenshot. */
export async function audit(page: Page, name: string, width: number) {
  await page.waitForLoadState('networkidle');
  expect(await axeViolations(page), `${name} at ${width}`).toEqual([]);
  const scroll = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
  // On failure, name what sticks out past the screen's right edge.
  const wide =
    scroll <= width
      ? []
      : await page.evaluate((w) => {
          const all = [...(globalThis as any).document.querySelectorAll('body *')] as any[];
          return all.filter((e) => e.getBoundingClientRect().right > w + 1).slice(0, 8).map((e) => `${e.tagName}.${e.className}`);
        }, width);
  expect(scroll, `${name} at ${width} scrolls sideways: ${wide.join(', ')}`).toBeLessThanOrEqual(width);
  await snapshot(page, width === 1280 ? name : `${name}-${width}`);
}

/** The same page on a 360 px phone screen, once `ready` says its content is there. */
export async function auditPhone(w: BrowserWorld, session: unknown, path: string, name: string, ready: (page: Page) => Promise<unknown>) {
  const { ctx, page, errors } = await openPage(w, session, path, 360);
  await ready(page);
  await audit(page, name, 360);
  expect(errors).toEqual([]);
  await ctx.close();
}

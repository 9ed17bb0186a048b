import { expect } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { axeViolations, loggedInContext, recordRequests, snapshot, type BrowserWorld } from './browser.js';
import { campaignSender } from './campaigns.js';
import type { FakeTwilio } from './fake-twilio.js';

export type Session = Record<string, string>;

/** The dashboard session /login gives for these credentials. */
export async function login(w: BrowserWorld, creds: { email: string; password: string }): Promise<Session> {
  const res = await w.h.request('POST', '/login', { body: { email: creds.email, password: creds.password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Session;
}

/** A new account with a bot (a name, or the create_bot body), and a dashboard session for it (what /login gives the app). */
export async function creator(w: BrowserWorld, bot: string | Record<string, unknown> = 'Luna') {
  const { key, email, password, accountId } = await w.h.signup();
  const created = await w.h.createBot(key, typeof bot === 'string' ? { name: bot } : bot);
  return { key, accountId, botId: created.bot_id as string, session: await login(w, { email, password }) };
}

/** campaignSender (a bot texting from its own number on the fake Twilio) with a dashboard session for its account. */
export async function campaignCreator(w: BrowserWorld, fake: FakeTwilio) {
  const sender = await campaignSender(w.h, fake);
  return { ...sender, session: await login(w, sender) };
}

export interface OpenedPage {
  ctx: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  errors: string[];
  /** Every request the page made, its own load included. */
  urls: string[];
}

/**
 * A logged-in page at a width (1280 unless told), once its title is shown: the level-1 heading named
 * `heading` when given, else any.
 */
export async function openPage(w: BrowserWorld, session: unknown, path: string, opts: { width?: number; heading?: string | RegExp } = {}): Promise<OpenedPage> {
  const ctx = await loggedInContext(w, session, { width: opts.width ?? 1280 });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const urls = recordRequests(page);
  await page.goto(path);
  if (opts.heading === undefined) await page.locator('main h1').first().waitFor();
  else await page.getByRole('heading', { level: 1, name: opts.heading, exact: true }).waitFor();
  return { ctx, page, errors, urls };
}

/**
 * No page-wide horizontal scroll at this width; on failure, names what sticks out past the screen's
 * right edge. `soft` records the failure and carries on.
 */
export async function expectNoSideScroll(page: Page, width: number, what: string, soft = false) {
  const scroll = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
  const wide =
    scroll <= width
      ? []
      : await page.evaluate((w) => {
          const all = [...(globalThis as any).document.querySelectorAll('body *')] as any[];
          return all.filter((e) => e.getBoundingClientRect().right > w + 1).slice(0, 8).map((e) => `${e.tagName}.${e.className}`);
        }, width);
  const message = `${what} at ${width} scrolls sideways: ${wide.join(', ')}`;
  if (soft) expect.soft(scroll, message).toBeLessThanOrEqual(width);
  else expect(scroll, message).toBeLessThanOrEqual(width);
}

/**
 * The page as it stands: no serious accessibility violation, no page-wide horizontal scroll, a screenshot
 * (named `name`, with `-width` unless 1280). `soft` records failures and carries on (for a sweep of pages).
 */
export async function audit(page: Page, name: string, width: number, opts: { soft?: boolean } = {}) {
  await page.waitForLoadState('networkidle');
  const violations = await axeViolations(page);
  if (opts.soft) expect.soft(violations, `${name} at ${width}`).toEqual([]);
  else expect(violations, `${name} at ${width}`).toEqual([]);
  await expectNoSideScroll(page, width, name, opts.soft);
  await snapshot(page, width === 1280 ? name : `${name}-${width}`);
}

/** The same page on a 360 px phone screen, once `ready` says its content is there. */
export async function auditPhone(w: BrowserWorld, session: unknown, path: string, name: string, ready: (page: Page) => Promise<unknown>) {
  const { ctx, page, errors, urls } = await openPage(w, session, path, { width: 360 });
  await ready(page);
  await audit(page, name, 360);
  expect(errors).toEqual([]);
  expect(urls.filter((u) => !u.startsWith(w.base))).toEqual([]);
  await ctx.close();
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, recordRequests, snapshot, startBrowserWorld, type BrowserWorld } from '../support/browser.js';

describe.skipIf(!hasChromium)('dashboard: sign up and create a bot', () => {
  let w: BrowserWorld;
  beforeAll(async () => {
    w = await startBrowserWorld();
  });
  afterAll(async () => w?.close());

  it('signs up, shows the first key once, creates a bot and opens its editor', async () => {
    const ctx = await w.context();
    const page = await ctx.newPage();
    const urls = recordRequests(page);
    await page.goto('/app');
    await page.waitForURL('**/app/login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(`smoke-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).click();
    const key = page.getByRole('group', { name: 'Your first admin API key' }).locator('code');
    await key.waitFor();
    expect(await key.textContent()).toMatch(/^sk_\S{20,}$/);
    await page.getByRole('button', { name: 'Continue to the dashboard' }).click();
    await page.getByLabel('Bot name').fill('Luna');
    await page.getByRole('button', { name: 'Create bot' }).click();
    await page.waitForURL(/\/app\/bots\/bot_[0-9a-z]{26}$/);
    await snapshot(page, 'smoke-bot-editor');
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();
  });

  // The one test that logs in through the form; the others put a /login session in storage (openPage).
  it('logs in through the form (a wrong password shows the API\'s refusal) and stays logged in after a reload', async () => {
    const { key, email, password, accountId } = await w.h.signup();
    await w.h.createBot(key, { name: 'Orion' });
    const wrong = await w.h.request('POST', '/login', { body: { email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    const ctx = await w.context();
    const page = await ctx.newPage();
    const urls = recordRequests(page);
    await page.goto('/app');
    await page.waitForURL('**/app/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: wrong.body.error.message }).waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Bots', level: 1 }).waitFor();
    await page.getByText('Orion').first().waitFor();
    const stored = await page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('sinth.session')));
    expect(stored.account_id).toBe(accountId);
    await page.reload();
    await page.getByRole('heading', { name: 'Bots', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).not.toBe('/app/login');
    expect(urls.every((u) => u.startsWith(w.base))).toBe(true);
    await ctx.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { waitUntil } from '../support/wait.js';
import { audit, auditPhone, creator, openPage } from '../support/dashboard.js';

// The account pages of the dashboard against the real server: API keys, webhooks, notifications,
// billing (no Stripe here) and the activity log that records what the others did.

describe.skipIf(!hasChromium)('dashboard: account pages', () => {
  let w: BrowserWorld;
  let receiver: WebhookReceiver;
  let me: Awaited<ReturnType<typeof creator>>;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // The receiver listens on 127.0.0.1: the server may deliver there only when told so.
    w = await startBrowserWorld({ ALLOW_PRIVATE_URLS: 'true' });
    me = await creator(w);
  });
  afterAll(async () => {
    await w?.close();
    await receiver?.close();
  });

  it('creates a conversation key for one bot (shown once), lists it by prefix, and revokes it', { timeout: 120_000 }, async () => {
    const { ctx, page, errors, urls } = await openPage(w, me.session, '/app/keys');
    await page.getByLabel('Key name').fill('Fan site');
    await page.getByLabel('Luna').check();
    await page.getByLabel('Allowed web origins').fill('https://fans.example.com\n');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByRole('group', { name: 'New conversation key “Fan site”' }).locator('code');
    await secret.waitFor();
    const key = (await secret.textContent())!;

    const listed = (await w.h.request('GET', '/list_api_keys', { key: me.key })).body.data.find((k: any) => k.name === 'Fan site');
    expect(listed).toMatchObject({ scope: 'conversation', bot_ids: [me.botId], allowed_origins: ['https://fans.example.com'] });
    expect(key.startsWith(listed.prefix)).toBe(true);
    const row = page.getByRole('row').filter({ hasText: 'Fan site' });
    await row.getByText(`${listed.prefix}…`).waitFor();
    expect(await row.textContent()).toContain('Luna');

    // The key talks to its bot...
    const talk = () => w.h.request('POST', '/conversation_api', { body: { api_key: key, creator: me.botId, user_id: 'fan-1', message: 'hello' } });
    expect((await talk()).status).toBe(200);
    await audit(page, 'keys', 1280);

    // ...until it is revoked, after a confirm step.
    await row.getByRole('button', { name: 'Revoke Fan site' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByRole('status').filter({ hasText: 'is revoked' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Fan site' }).waitFor({ state: 'detached' });
    // The secret is gone from the page once the key is revoked.
    expect(await page.getByText(key).count()).toBe(0);
    expect((await talk()).status).toBe(401);
    expect((await w.h.request('GET', '/list_api_keys', { key: me.key })).body.data.some((k: any) => k.name === 'Fan site')).toBe(false);
    expect(urls.filter((u) => !u.startsWith(w.base))).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/keys', 'keys', (p) => p.getByRole('heading', { name: 'Live keys' }).waitFor());
  });

  it('adds a webhook for two events: the secret is shown once and signs its deliveries', { timeout: 120_000 }, async () => {
    const { ctx, page, errors } = await openPage(w, me.session, '/app/webhooks');
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('user.created').check();
    await page.getByLabel('feedback.created').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = page.getByRole('group', { name: `Signing secret of ${receiver.url}` }).locator('code');
    await secret.waitFor();
    const value = (await secret.textContent())!;
    expect(value).toMatch(/^whsec_/);
    const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: receiver.url }) });
    expect(await item.textContent()).toContain('user.created, feedback.created');

    const stored = (await w.h.request('GET', '/get_webhooks', { key: me.key })).body.data;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ url: receiver.url, enabled: true });
    expect([...stored[0].events].sort()).toEqual(['feedback.created', 'user.created']);

    // The secret the page showed is the one deliveries are signed with.
    receiver.setSecret(value);
    expect((await w.h.request('POST', '/create_user', { key: me.key, body: { bot_id: me.botId, user_id: 'hooked', name: 'Hooked' } })).status).toBe(200);
    await waitUntil(async () => receiver.verified('user.created').length, (n) => n > 0, 'a signed user.created delivery');

    await item.getByRole('button', { name: 'Deliveries' }).click();
    const delivery = item.getByRole('row').filter({ hasText: 'user.created' });
    await delivery.waitFor();
    await waitUntil(
      async () => {
        await item.getByRole('button', { name: 'Refresh' }).click();
        return delivery.textContent();
      },
      (t) => !!t?.includes('HTTP 200'),
      'the delivery listed as answered 200',
    );
    expect(await delivery.textContent()).toContain('succeeded');
    await delivery.getByRole('button', { name: /Retry user\.created delivery/ }).click();
    await waitUntil(async () => receiver.verified('user.created').length, (n) => n > 1, 'the retried delivery');
    await audit(page, 'webhooks', 1280);

    // A reload never shows the secret again.
    await page.reload();
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    expect(await page.getByText(value).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/webhooks', 'webhooks', (p) => p.getByRole('heading', { name: receiver.url }).waitFor());
  });

  it('saves notification settings and sends a test notification', { timeout: 120_000 }, async () => {
    const { ctx, page, errors } = await openPage(w, me.session, '/app/notifications');
    const emails = page.getByLabel('Email addresses');
    await emails.fill('ops@example.com\nowner@example.com');
    await page.getByLabel(/New fans/).check();
    await page.getByLabel(/A subscription payment failed/).uncheck();
    await page.getByRole('switch', { name: 'Daily digest of the previous day' }).click();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();

    const saved = (await w.h.request('GET', '/get_notification_settings', { key: me.key })).body;
    expect(saved.emails).toEqual(['ops@example.com', 'owner@example.com']);
    expect(saved.events).toContain('new_user');
    expect(saved.events).not.toContain('payment_failed');
    expect(saved.digest).toBe(false);

    await page.getByRole('button', { name: 'Send test notification' }).click();
    const result = page.getByRole('status').filter({ hasText: 'ops@example.com' });
    await result.waitFor();
    expect(await result.textContent()).toContain('owner@example.com');
    await audit(page, 'notifications', 1280);

    // A fresh visit shows what was stored.
    await page.reload();
    await page.getByLabel('Email addresses').waitFor();
    expect(await page.getByLabel('Email addresses').inputValue()).toBe('ops@example.com\nowner@example.com');
    expect(await page.getByRole('switch', { name: 'Daily digest of the previous day' }).getAttribute('aria-checked')).toBe('false');
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/notifications', 'notifications', (p) => p.getByLabel('Email addresses').waitFor());
  });

  it('shows the plans, the self-hosted subscription and usage; checkout shows the API’s answer without Stripe', { timeout: 120_000 }, async () => {
    const { ctx, page, errors } = await openPage(w, me.session, '/app/billing');
    const plans = (await w.h.request('GET', '/get_plans', { key: me.key })).body.data;
    for (const p of plans) await page.getByRole('heading', { name: p.name }).first().waitFor();
    await page.getByText('This server runs without Stripe').waitFor();
    // One bot of an unlimited plan: usage lines say so, with no percentage bar.
    await page.getByText('Bots: 1 of unlimited').waitFor();
    const other = plans.find((p: any) => !p.current);
    await page.getByRole('button', { name: `Choose ${other.name}` }).click();
    const error = page.getByRole('alert');
    await error.waitFor();
    const api = await w.h.request('POST', '/create_checkout_session', { key: me.key, body: { plan_id: other.plan_id, success_url: w.base, cancel_url: w.base } });
    expect(api.status).toBe(422);
    expect(await error.textContent()).toContain(api.body.error.message);
    expect(page.url()).toContain('/app/billing');
    await audit(page, 'billing', 1280);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/billing', 'billing', (p) => p.getByText('Bots: 1 of unlimited').waitFor());
  });

  it('lists what was just done in the activity log, filterable by action', { timeout: 120_000 }, async () => {
    const { ctx, page, errors } = await openPage(w, me.session, '/app/activity');
    const created = page.getByRole('row').filter({ hasText: 'api_key.created' });
    await created.first().waitFor();
    expect(await created.first().textContent()).toContain('you (this session)');
    await page.getByRole('row').filter({ hasText: 'webhook' }).first().waitFor();
    await page.getByLabel('Action starts with').fill('api_key.');
    // The filtered read, waited for itself: the unfiltered list already shows api_key.revoked.
    await Promise.all([page.waitForResponse((r) => r.url().includes('action=api_key.')), page.getByRole('button', { name: 'Apply filters' }).click()]);
    await page.getByRole('row').filter({ hasText: 'webhook' }).first().waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'api_key.revoked' }).waitFor();
    const actions = await page.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(actions.length).toBeGreaterThan(1);
    expect(actions.every((a) => a.startsWith('api_key.'))).toBe(true);
    await audit(page, 'activity', 1280);
    expect(errors).toEqual([]);
    await ctx.close();
    await auditPhone(w, me.session, '/app/activity', 'activity', (p) => p.getByRole('row').filter({ hasText: 'api_key.created' }).first().waitFor());
  });
});

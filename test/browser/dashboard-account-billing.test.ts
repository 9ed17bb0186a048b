import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, startBrowserWorld, type BrowserWorld } from '../support/browser.js';
import { PRICE, signStripe, startFakeStripe, stripeEnv, stripeEvent, WEBHOOK_SECRET, writePlansFile, type FakeStripe } from '../support/fake-stripe.js';
import { creator, openPage } from '../support/dashboard.js';

// Billing with Stripe configured (a fake Stripe API): Checkout and the portal are navigations the user
// asks for, to the URLs the API returns; cancelling has a confirm step.

describe.skipIf(!hasChromium)('dashboard: billing through Stripe', () => {
  let w: BrowserWorld;
  let stripe: FakeStripe;
  beforeAll(async () => {
    stripe = await startFakeStripe();
    w = await startBrowserWorld(stripeEnv(stripe, writePlansFile()));
  });
  afterAll(async () => {
    await w?.close();
    await stripe?.close();
  });

  it('opens Checkout for a plan with the dashboard as the return page, then cancels the subscription at the period end', { timeout: 120_000 }, async () => {
    const me = await creator(w);
    const { ctx, page, errors } = await openPage(w, me.session, '/app/billing');
    // Stripe's pages are stubbed: the browser never leaves the test machine.
    await ctx.route(/^https:\/\/(checkout|billing)\.stripe\.test\//, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Stripe</title><h1>Stripe stub</h1>' }));
    await page.getByRole('button', { name: 'Choose Creator' }).click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const session = stripe.requests.find((r) => r.path === '/v1/checkout/sessions')!;
    expect(session.params).toMatchObject({ success_url: `${w.base}/app/billing`, cancel_url: `${w.base}/app/billing` });
    expect(session.params.line_items[0].price).toBe(PRICE.creator);

    // Stripe reports the paid subscription.
    const customer = [...stripe.customers.values()].find((c) => c.metadata.account_id === me.accountId)!.id;
    const sub = stripe.addSubscription({ customer, price: PRICE.creator, metadata: { account_id: me.accountId, plan_id: 'creator' } });
    const payload = stripeEvent('customer.subscription.created', sub);
    const hook = await w.h.app.inject({ method: 'POST', url: '/webhooks/stripe', payload, headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(payload, WEBHOOK_SECRET) } });
    expect(hook.statusCode).toBe(200);

    await page.goto('/app/billing');
    const subscription = page.getByRole('region', { name: 'Subscription' });
    await subscription.getByText('renews').waitFor();
    expect(await subscription.textContent()).toContain('Creator');
    await subscription.getByRole('button', { name: 'Cancel at period end' }).click();
    await subscription.getByRole('button', { name: 'Yes, cancel at period end' }).click();
    await page.getByRole('status').filter({ hasText: 'Your plan stays until' }).waitFor();
    expect((await w.h.request('GET', '/get_subscription', { key: me.key })).body).toMatchObject({ plan_id: 'creator', cancel_at_period_end: true });
    await subscription.getByText(/· ends /).waitFor();
    expect(await subscription.getByRole('button', { name: 'Cancel now' }).count()).toBe(0);

    await subscription.getByRole('button', { name: /Billing portal/ }).click();
    await page.waitForURL(/^https:\/\/billing\.stripe\.test\/p\/session\//);
    expect(stripe.requests.find((r) => r.path === '/v1/billing_portal/sessions')!.params.return_url).toBe(`${w.base}/app/billing`);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});

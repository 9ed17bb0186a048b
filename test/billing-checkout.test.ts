import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { expectError } from './support/assertions.js';
import { PRICE, signStripe, startFakeStripe, stripeEnv, stripeEvent, WEBHOOK_SECRET, writePlansFile, type FakeStripe } from './support/fake-stripe.js';

// Buying and leaving a plan against a fake Stripe: Checkout (customer made once, the plan's price,
// Idempotency-Key), the billing portal, cancelling at period end or now, and Stripe failures.

let stripe: FakeStripe;
let h: Harness;
beforeAll(async () => {
  stripe = await startFakeStripe();
  h = await startHarness(stripeEnv(stripe, writePlansFile({ bots: 1 })));
});
afterAll(async () => {
  await h.close();
  await stripe.close();
});
beforeEach(() => stripe.reset());

const URLS = { success_url: 'https://app.example.com/billing?ok=1', cancel_url: 'https://app.example.com/billing' };
const checkout = (key: string, planId: string, headers: Record<string, string> = {}) => h.request('POST', '/create_checkout_session', { key, body: { plan_id: planId, ...URLS }, headers });

/** Stripe tells the server about a subscription, as after a finished checkout. */
async function subscribed(accountId: string, customer: string, price = PRICE.creator) {
  const sub = stripe.addSubscription({ customer, price, metadata: { account_id: accountId, plan_id: 'creator' } });
  const payload = stripeEvent('customer.subscription.created', sub);
  const res = await h.app.inject({ method: 'POST', url: '/webhooks/stripe', payload, headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(payload, WEBHOOK_SECRET) } });
  expect(res.statusCode).toBe(200);
  return sub;
}

describe('create_checkout_session', () => {
  it('makes the account\'s Stripe customer once and a subscription Checkout for the plan\'s price', async () => {
    const { key, accountId, email } = await h.signup();
    const first = await checkout(key, 'creator');
    expect(first.status).toBe(200);
    expect(first.body.url).toBe(`https://checkout.stripe.test/c/pay/${first.body.session_id}`);
    expect(first.body.session_id).toMatch(/^cs_test_/);

    const customers = stripe.requests.filter((r) => r.path === '/v1/customers');
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ method: 'POST', authorized: true, params: { email, metadata: { account_id: accountId } } });
    const [session] = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions');
    const customerId = [...stripe.customers.values()].find((c) => c.metadata.account_id === accountId)!.id;
    expect(session!.params).toEqual({
      mode: 'subscription',
      customer: customerId,
      client_reference_id: accountId,
      line_items: [{ price: PRICE.creator, quantity: '1' }],
      success_url: URLS.success_url,
      cancel_url: URLS.cancel_url,
      metadata: { account_id: accountId, plan_id: 'creator' },
      subscription_data: { metadata: { account_id: accountId, plan_id: 'creator' } },
    });
    const row = await h.database.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stripe_customer_id: customerId, plan_id: 'free', status: 'none' });

    // Changing one's mind: another checkout reuses the customer.
    const second = await checkout(key, 'pro');
    expect(second.status).toBe(200);
    expect(stripe.requests.filter((r) => r.path === '/v1/customers')).toHaveLength(1);
    const sessions = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions');
    expect(sessions.map((s) => [s.params.customer, s.params.line_items[0].price])).toEqual([[customerId, PRICE.creator], [customerId, PRICE.pro]]);
    const audit = await h.database.db.selectFrom('audit_logs').select(['action', 'object_id']).where('account_id', '=', accountId).where('action', '=', 'billing.checkout_started').execute();
    expect(audit.map((a) => a.object_id)).toEqual(['creator', 'pro']);
  });

  it('answers a retry with the same Idempotency-Key with the first session, asking Stripe once', async () => {
    const { key } = await h.signup();
    const headers = { 'idempotency-key': 'checkout-retry-1' };
    const first = await checkout(key, 'pro', headers);
    const again = await checkout(key, 'pro', headers);
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(stripe.requests.filter((r) => r.path === '/v1/checkout/sessions')).toHaveLength(1);
    expect(stripe.requests.find((r) => r.path === '/v1/checkout/sessions')!.idempotencyKey).toMatch(/^sinth-checkout-[0-9a-f]{64}$/);
  });

  it('refuses a second subscription while one is live: plans change in the billing portal', async () => {
    const { key, accountId } = await h.signup();
    await checkout(key, 'creator');
    const customer = [...stripe.customers.values()].find((c) => c.metadata.account_id === accountId)!.id;
    await subscribed(accountId, customer);
    const res = await checkout(key, 'pro');
    expectError(res, 409, 'conflict', 'already_subscribed', 'plan_id');
    expect(res.body.error.message).toContain('Creator');
  });

  it('reports a Stripe failure as a 502 naming Stripe, never its key, and keeps nothing half-made', async () => {
    const { key, accountId } = await h.signup();
    stripe.failNext(500, `Internal error for key ${stripe.key}`);
    const res = await checkout(key, 'creator');
    expectError(res, 502, 'provider_error', 'provider_error');
    expect(res.body.error.message).toMatch(/^stripe: /);
    expect(JSON.stringify(res.body)).not.toContain(stripe.key);
    expect(await h.database.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).executeTakeFirst()).toBeUndefined();
    // Tried again, it works: the customer is made then.
    expect((await checkout(key, 'creator')).status).toBe(200);
  });
});

describe('create_billing_portal_session', () => {
  it('opens the portal for the account\'s customer, and is a 422 before any checkout', async () => {
    const { key, accountId } = await h.signup();
    expectError(await h.request('POST', '/create_billing_portal_session', { key, body: { return_url: 'https://app.example.com/billing' } }), 422, 'unprocessable', 'no_billing_account');
    await checkout(key, 'creator');
    const res = await h.request('POST', '/create_billing_portal_session', { key, body: { return_url: 'https://app.example.com/billing' } });
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const portal = stripe.requests.find((r) => r.path === '/v1/billing_portal/sessions')!;
    expect(portal.params).toEqual({ customer: [...stripe.customers.values()].find((c) => c.metadata.account_id === accountId)!.id, return_url: 'https://app.example.com/billing' });
  });
});

describe('cancel_subscription', () => {
  it('cancels at the period end by default: the plan stays until then', async () => {
    const { key, accountId } = await h.signup();
    expectError(await h.request('POST', '/cancel_subscription', { key, body: {} }), 422, 'unprocessable', 'no_subscription');
    await checkout(key, 'creator');
    const sub = await subscribed(accountId, [...stripe.customers.values()].find((c) => c.metadata.account_id === accountId)!.id);
    const res = await h.request('POST', '/cancel_subscription', { key, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ plan_id: 'creator', status: 'active', cancel_at_period_end: true, current_period_end: new Date(sub.items.data[0].current_period_end * 1000).toISOString() });
    expect(stripe.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1/subscriptions/${sub.id}`, params: { cancel_at_period_end: 'true' } });
    expect((await h.request('GET', '/get_subscription', { key })).body).toMatchObject({ plan_id: 'creator', cancel_at_period_end: true });
    const events = await h.database.db.selectFrom('outbox_events').select('payload').where('account_id', '=', accountId).where('type', '=', 'subscription.updated').orderBy('id').execute();
    expect(events.map((e) => (e.payload as any).data.cancel_at_period_end)).toEqual([false, true]);
  });

  it('cancels now with at_period_end: false, back on the free plan at once', async () => {
    const { key, accountId } = await h.signup();
    await checkout(key, 'creator');
    const sub = await subscribed(accountId, [...stripe.customers.values()].find((c) => c.metadata.account_id === accountId)!.id);
    await h.createBot(key, { name: 'One' });
    await h.createBot(key, { name: 'Two' }); // creator allows 5, free 1
    const res = await h.request('POST', '/cancel_subscription', { key, body: { at_period_end: false } });
    expect(res.body).toMatchObject({ plan_id: 'free', status: 'canceled', cancel_at_period_end: false });
    expect(stripe.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1/subscriptions/${sub.id}` });
    expectError(await h.request('POST', '/create_bot', { key, body: { name: 'Three' } }), 402, 'plan_limit', 'bots_limit_reached');
    const audit = await h.database.db.selectFrom('audit_logs').select('details').where('account_id', '=', accountId).where('action', '=', 'subscription.cancel_requested').executeTakeFirstOrThrow();
    expect(audit.details).toEqual({ at_period_end: false });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { expectError } from './support/assertions.js';
import { pruneBilling } from '../src/features/billing/jobs.js';
import { PRICE, signStripe, startFakeStripe, stripeEnv, stripeEvent, WEBHOOK_SECRET, writePlansFile, type FakeStripe } from './support/fake-stripe.js';

// POST /webhooks/stripe: the signature checked on the raw body, each event applied once, and a
// subscription's life (checkout, created, updated, payment failed and paid, deleted) as the account sees it.

let stripe: FakeStripe;
let h: Harness;
/** A server whose Stripe webhook secret is not configured. */
let noSecret: Harness;
beforeAll(async () => {
  stripe = await startFakeStripe();
  const plans = writePlansFile({ bots: 1 });
  h = await startHarness(stripeEnv(stripe, plans));
  noSecret = await startHarness({ ...stripeEnv(stripe, plans), STRIPE_WEBHOOK_SECRET: '' });
});
afterAll(async () => {
  await Promise.all([h.close(), noSecret.close()]);
  await stripe.close();
});

async function post(payload: string, signature: string | null, server = h) {
  const res = await server.app.inject({ method: 'POST', url: '/webhooks/stripe', payload, headers: { 'content-type': 'application/json', ...(signature !== null ? { 'stripe-signature': signature } : {}) } });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
const deliver = (payload: string) => post(payload, signStripe(payload, WEBHOOK_SECRET));

/** An account with a Stripe customer (as after its first checkout). */
async function customerAccount() {
  const { key, accountId } = await h.signup();
  const customer = `cus_${accountId.slice(5)}`;
  await h.database.db.insertInto('subscriptions').values({ account_id: accountId, stripe_customer_id: customer }).execute();
  return { key, accountId, customer };
}

const subscriptionOf = (key: string) => h.request('GET', '/get_subscription', { key }).then((r) => r.body);
const eventsOf = (accountId: string, type: string) =>
  h.database.db.selectFrom('outbox_events').select('payload').where('account_id', '=', accountId).where('type', '=', type).orderBy('id').execute().then((rows) => rows.map((r) => (r.payload as any).data));

describe('the signature', () => {
  it('refuses a bad, missing or stale signature with a 400, and changes nothing', async () => {
    const { key, accountId, customer } = await customerAccount();
    const sub = stripe.addSubscription({ customer, price: PRICE.pro });
    const payload = stripeEvent('customer.subscription.created', sub);
    const id = JSON.parse(payload).id;
    const attempts = [
      signStripe(payload, 'whsec_someone_else'),
      signStripe(payload.replace(PRICE.pro, PRICE.creator), WEBHOOK_SECRET), // signed another body
      signStripe(payload, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600), // an hour old: a replay
      'garbage',
      null,
    ];
    for (const signature of attempts) {
      const res = await post(payload, signature);
      expectError(res as any, 400, 'invalid_request', 'invalid_signature', 'Stripe-Signature');
    }
    // Without a configured secret nothing is believed, even a good signature.
    expectError((await post(payload, signStripe(payload, WEBHOOK_SECRET), noSecret)) as any, 400, 'invalid_request', 'invalid_signature');
    expect(await h.database.db.selectFrom('stripe_events').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'free', status: 'none' });
    expect(await eventsOf(accountId, 'subscription.updated')).toEqual([]);
    // The genuine delivery is applied.
    expect((await deliver(payload)).status).toBe(200);
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'pro', status: 'active' });
  });
});

describe('idempotency', () => {
  it('applies the same event once, however often Stripe delivers it', async () => {
    const { accountId, customer } = await customerAccount();
    const sub = stripe.addSubscription({ customer, price: PRICE.creator });
    const payload = stripeEvent('customer.subscription.created', sub);
    const first = await deliver(payload);
    const again = await deliver(payload);
    expect(first.body).toEqual({ received: true, duplicate: false });
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(await eventsOf(accountId, 'subscription.updated')).toHaveLength(1);
    const failed = stripeEvent('invoice.payment_failed', { id: 'in_1', object: 'invoice', customer, parent: { subscription_details: { subscription: sub.id } }, amount_due: 2900, currency: 'usd', attempt_count: 1, next_payment_attempt: null });
    await deliver(failed);
    await deliver(failed);
    expect(await eventsOf(accountId, 'payment.failed')).toHaveLength(1);
    const recorded = await h.database.db.selectFrom('stripe_events').select(['type', 'account_id']).where('id', 'in', [JSON.parse(payload).id, JSON.parse(failed).id]).orderBy('type').execute();
    expect(recorded).toEqual([{ type: 'customer.subscription.created', account_id: accountId }, { type: 'invoice.payment_failed', account_id: accountId }]);
  });

  it('records an event type it does not act on, and one for nobody here, with a 200', async () => {
    const unknown = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' });
    expect((await deliver(unknown)).status).toBe(200);
    const stranger = stripeEvent('customer.subscription.updated', stripe.addSubscription({ customer: 'cus_not_ours', price: PRICE.pro }));
    expect((await deliver(stranger)).status).toBe(200);
    const rows = await h.database.db.selectFrom('stripe_events').select(['id', 'account_id']).where('id', 'in', [JSON.parse(unknown).id, JSON.parse(stranger).id]).execute();
    expect(rows.map((r) => r.account_id)).toEqual([null, null]);
    expect(await h.database.db.selectFrom('subscriptions').select('account_id').where('stripe_customer_id', '=', 'cus_not_ours').executeTakeFirst()).toBeUndefined();
  });

  it('forgets event ids after 30 days (Stripe retries for 3)', async () => {
    const day = 86_400_000;
    await h.database.db.insertInto('stripe_events').values([
      { id: 'evt_old_prune_test', type: 'invoice.paid', account_id: null, received_at: new Date(Date.now() - 31 * day) },
      { id: 'evt_new_prune_test', type: 'invoice.paid', account_id: null, received_at: new Date(Date.now() - 29 * day) },
    ]).execute();
    await pruneBilling(h.deps);
    const left = await h.database.db.selectFrom('stripe_events').select('id').where('id', 'in', ['evt_old_prune_test', 'evt_new_prune_test']).execute();
    expect(left).toEqual([{ id: 'evt_new_prune_test' }]);
  });
});

describe('a subscription\'s life', () => {
  it('goes from checkout to created, updated, past due, paid again and deleted, back on free', async () => {
    const { key, accountId, customer } = await customerAccount();
    const sub = stripe.addSubscription({ customer, price: PRICE.creator, metadata: { account_id: accountId, plan_id: 'creator' }, status: 'incomplete' });
    const t0 = Math.floor(Date.now() / 1000);

    await deliver(stripeEvent('checkout.session.completed', { id: 'cs_test_1', object: 'checkout.session', client_reference_id: accountId, customer, subscription: sub.id, payment_status: 'paid', metadata: { account_id: accountId, plan_id: 'creator' } }, { created: t0 }));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'creator', status: 'active' });

    // What Stripe holds now is applied, not the event's body (events are not ordered within a second).
    sub.status = 'active';
    await deliver(stripeEvent('customer.subscription.created', { ...sub, status: 'incomplete' }, { created: t0 + 1 }));
    const end = new Date(sub.items.data[0].current_period_end * 1000).toISOString();
    expect(await subscriptionOf(key)).toEqual({ plan_id: 'creator', plan_name: 'Creator', status: 'active', current_period_end: end, cancel_at_period_end: false, billing: 'stripe' });

    // A plan change in the portal: the price says which plan.
    const creatorItems = sub.items;
    sub.items = { ...sub.items, data: [{ ...sub.items.data[0], price: { id: PRICE.pro } }] };
    await deliver(stripeEvent('customer.subscription.updated', sub, { created: t0 + 2 }));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'pro', status: 'active' });
    expect(stripe.requests.filter((r) => r.method === 'GET' && r.path === `/v1/subscriptions/${sub.id}`)).toHaveLength(2);

    // Stripe does not deliver in order: an older event arriving late changes nothing.
    await deliver(stripeEvent('customer.subscription.updated', { ...sub, items: creatorItems }, { created: t0 + 1 }));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'pro' });

    const invoice = { id: 'in_2', object: 'invoice', customer, parent: { subscription_details: { subscription: sub.id } }, amount_due: 9900, currency: 'usd', attempt_count: 2, next_payment_attempt: t0 + 86_400 };
    await deliver(stripeEvent('invoice.payment_failed', invoice, { created: t0 + 3 }));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'pro', status: 'past_due' });
    expect(await eventsOf(accountId, 'payment.failed')).toEqual([
      { invoice_id: 'in_2', plan_id: 'pro', amount_due: 9900, currency: 'usd', attempt_count: 2, next_payment_attempt: new Date((t0 + 86_400) * 1000).toISOString() },
    ]);
    // Past due keeps the plan while Stripe retries: two bots on pro are fine.
    await h.createBot(key, { name: 'A' });
    await h.createBot(key, { name: 'B' });

    await deliver(stripeEvent('invoice.paid', { ...invoice, attempt_count: 3 }, { created: t0 + 4 }));
    expect(await subscriptionOf(key)).toMatchObject({ status: 'active' });

    sub.status = 'canceled';
    await deliver(stripeEvent('customer.subscription.deleted', sub, { created: t0 + 5 }));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'free', status: 'canceled', cancel_at_period_end: false });
    expectError(await h.request('POST', '/create_bot', { key, body: { name: 'C' } }), 402, 'plan_limit', 'bots_limit_reached');

    // Each visible change was one subscription.updated (a public webhook event), and audited.
    const updates = await eventsOf(accountId, 'subscription.updated');
    expect(updates.map((u) => [u.plan_id, u.status, u.current_period_end])).toEqual([
      ['creator', 'active', null],
      ['creator', 'active', end], // the subscription's own event brings its period
      ['pro', 'active', end],
      ['pro', 'past_due', end],
      ['pro', 'active', end],
      ['free', 'canceled', end],
    ]);
    const audits = await h.database.db.selectFrom('audit_logs').select('actor_type').where('account_id', '=', accountId).where('action', '=', 'subscription.updated').execute();
    expect(audits).toHaveLength(6);
    expect(audits.every((a) => a.actor_type === 'system')).toBe(true);
  });

  it('keeps a paying account on its plan when checkout\'s created (incomplete) arrives after updated (active) in the same second', async () => {
    const { key, accountId, customer } = await customerAccount();
    const sub = stripe.addSubscription({ customer, price: PRICE.creator, metadata: { account_id: accountId, plan_id: 'creator' } });
    const second = Math.floor(Date.now() / 1000);
    expect((await deliver(stripeEvent('customer.subscription.updated', sub, { created: second }))).status).toBe(200);
    expect((await deliver(stripeEvent('customer.subscription.created', { ...sub, status: 'incomplete' }, { created: second }))).status).toBe(200);
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'creator', status: 'active' });
  });

  it('answers 5xx and applies nothing when Stripe cannot be asked for the subscription, so Stripe delivers again', async () => {
    const { key, accountId, customer } = await customerAccount();
    const sub = stripe.addSubscription({ customer, price: PRICE.pro, metadata: { account_id: accountId } });
    const payload = stripeEvent('customer.subscription.created', sub);
    stripe.failNext(500);
    const failed = await deliver(payload);
    expect(failed.status).toBe(502);
    expect(await h.database.db.selectFrom('stripe_events').select('id').where('id', '=', JSON.parse(payload).id).executeTakeFirst()).toBeUndefined();
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'free' });
    expect((await deliver(payload)).body).toEqual({ received: true, duplicate: false });
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'pro', status: 'active' });
  });

  it('finds the account from the subscription\'s metadata when the customer is new to this server', async () => {
    const { key, accountId } = await h.signup();
    const sub = stripe.addSubscription({ customer: 'cus_made_in_dashboard', price: PRICE.creator, metadata: { account_id: accountId } });
    await deliver(stripeEvent('customer.subscription.created', sub));
    expect(await subscriptionOf(key)).toMatchObject({ plan_id: 'creator', status: 'active' });
    const row = await h.database.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ stripe_customer_id: 'cus_made_in_dashboard', stripe_subscription_id: sub.id });
  });
});

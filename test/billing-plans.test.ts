import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { billingJobs } from '../src/features/billing/jobs.js';
import { planCatalog } from '../src/features/billing/plans.js';
import type { AppDeps } from '../src/core/context.js';
import { startHarness, testConfig, type Harness } from './support/harness.js';
import { expectError, expectInvalid } from './support/assertions.js';
import { PRICE, startFakeStripe, stripeEnv, writePlansFile, type FakeStripe } from './support/fake-stripe.js';

// The plan catalog: the self-hosted default (no Stripe key: unlimited, nothing sold), the default
// catalog with Stripe, and a PLANS_FILE replacing it (a bad one stops the start).

let selfHosted: Harness;
let defaults: Harness;
let custom: Harness;
let stripe: FakeStripe;
beforeAll(async () => {
  stripe = await startFakeStripe();
  selfHosted = await startHarness();
  defaults = await startHarness(stripeEnv(stripe));
  custom = await startHarness(stripeEnv(stripe, writePlansFile({ bots: 1 })));
});
afterAll(async () => {
  await Promise.all([selfHosted.close(), defaults.close(), custom.close()]);
  await stripe.close();
});

describe('a server without STRIPE_SECRET_KEY', () => {
  it('runs every account on the unlimited self-hosted plan and lists the catalog as not for sale', async () => {
    const { key } = await selfHosted.signup();
    const plans = await selfHosted.request('GET', '/get_plans', { key });
    expect(plans.status).toBe(200);
    expect(plans.body.data[0]).toEqual({
      plan_id: 'self_hosted',
      name: 'Self-hosted',
      price: { amount: 0, currency: 'usd', interval: 'month' },
      limits: { messages_per_month: null, bots: null, phone_numbers: null, knowledge_mb: null, call_minutes_per_month: null },
      purchasable: false,
      current: true,
    });
    expect(plans.body.data.map((p: any) => p.plan_id)).toEqual(['self_hosted', 'free', 'creator', 'pro']);
    expect(plans.body.data.every((p: any) => !p.purchasable)).toBe(true);
    const sub = await selfHosted.request('GET', '/get_subscription', { key });
    expect(sub.body).toEqual({ plan_id: 'self_hosted', plan_name: 'Self-hosted', status: 'active', current_period_end: null, cancel_at_period_end: false, billing: 'self_hosted' });
  });

  it('answers 422 stripe_not_configured to checkout, portal and cancel', async () => {
    const { key } = await selfHosted.signup();
    const urls = { success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' };
    expectError(await selfHosted.request('POST', '/create_checkout_session', { key, body: { plan_id: 'creator', ...urls } }), 422, 'unprocessable', 'stripe_not_configured');
    expectError(await selfHosted.request('POST', '/create_billing_portal_session', { key, body: { return_url: 'https://app.example.com' } }), 422, 'unprocessable', 'stripe_not_configured');
    expectError(await selfHosted.request('POST', '/cancel_subscription', { key, body: {} }), 422, 'unprocessable', 'stripe_not_configured');
  });

  it('enforces no limit, and get_usage shows what is used against no limits', async () => {
    const { key } = await selfHosted.signup();
    // The default free plan allows one bot; self-hosted has no limit at all.
    for (let i = 0; i < 3; i++) await selfHosted.createBot(key, { name: `Bot ${i}` });
    const usage = await selfHosted.request('GET', '/get_usage', { key });
    expect(usage.status).toBe(200);
    expect(usage.body.plan_id).toBe('self_hosted');
    expect(usage.body.limits.bots).toEqual({ used: 3, limit: null, percent: null });
    expect(usage.body.limits.messages_per_month).toEqual({ used: 0, limit: null, percent: null });
    // The calendar month (UTC).
    const start = new Date(usage.body.period.start);
    expect(start.getUTCDate()).toBe(1);
    expect(start.getUTCHours()).toBe(0);
    expect(new Date(usage.body.period.end).getUTCMonth()).toBe((start.getUTCMonth() + 1) % 12);
  });
});

describe('the API description', () => {
  it('documents the payment endpoints, get_usage and the Stripe webhook in /openapi.json', async () => {
    const doc = (await selfHosted.request('GET', '/openapi.json')).body;
    for (const path of ['/get_plans', '/get_subscription', '/create_checkout_session', '/create_billing_portal_session', '/cancel_subscription', '/get_usage', '/webhooks/stripe']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/get_usage'].get.tags).toEqual(['Analytics']);
    expect(doc.paths['/create_checkout_session'].post.responses['422']).toBeDefined();
  });
});

describe('with Stripe and the default catalog', () => {
  it('puts an account without a subscription on free, and sells nothing until prices are configured', async () => {
    const { key } = await defaults.signup();
    const plans = await defaults.request('GET', '/get_plans', { key });
    expect(plans.body.data.map((p: any) => [p.plan_id, p.purchasable, p.current])).toEqual([['free', false, true], ['creator', false, false], ['pro', false, false]]);
    expect(plans.body.data[0].limits.bots).toBe(1);
    expect(plans.body.data[1].price).toEqual({ amount: 2900, currency: 'usd', interval: 'month' });
    const sub = await defaults.request('GET', '/get_subscription', { key });
    expect(sub.body).toMatchObject({ plan_id: 'free', status: 'none', billing: 'stripe', cancel_at_period_end: false });
    const refused = await defaults.request('POST', '/create_checkout_session', { key, body: { plan_id: 'creator', success_url: 'https://a.example/ok', cancel_url: 'https://a.example/no' } });
    expectError(refused, 422, 'unprocessable', 'plan_not_purchasable', 'plan_id');
    expect(refused.body.error.message).toContain('stripe_price_id');
    expect(stripe.requests.filter((r) => r.path === '/v1/checkout/sessions')).toHaveLength(0);
  });

  it('names a bad parameter of create_checkout_session', async () => {
    const { key } = await defaults.signup();
    expectInvalid(await defaults.request('POST', '/create_checkout_session', { key, body: { plan_id: 'platinum', success_url: 'https://a.example/ok', cancel_url: 'https://a.example/no' } }), 'plan_id', 'unknown_plan');
    expectInvalid(await defaults.request('POST', '/create_checkout_session', { key, body: { plan_id: 'creator', success_url: 'ftp://a.example/ok', cancel_url: 'https://a.example/no' } }), 'success_url');
    expectInvalid(await defaults.request('POST', '/create_checkout_session', { key, body: { plan_id: 'creator', success_url: 'https://a.example/ok' } }), 'cancel_url');
  });
});

describe('PLANS_FILE', () => {
  it('replaces the catalog: its plans, prices and limits', async () => {
    const { key } = await custom.signup();
    const plans = await custom.request('GET', '/get_plans', { key });
    expect(plans.body.data.map((p: any) => [p.plan_id, p.purchasable])).toEqual([['free', false], ['creator', true], ['pro', true]]);
    expect(plans.body.data[0].limits).toEqual({ messages_per_month: null, bots: 1, phone_numbers: null, knowledge_mb: null, call_minutes_per_month: null });
    expect(planCatalog(custom.config).byPrice.get(PRICE.pro)?.id).toBe('pro');
  });

  it('stops the start with a ConfigError naming what is wrong', () => {
    const write = (content: string) => {
      const path = join(mkdtempSync(join(tmpdir(), 'sinth-plans-')), 'plans.json');
      writeFileSync(path, content);
      return path;
    };
    const start = (path: string) => () => billingJobs({ config: testConfig({ PLANS_FILE: path }) } as AppDeps);
    const free = { id: 'free', name: 'Free', price: { amount: 0, currency: 'usd', interval: 'month' }, limits: { messages_per_month: 1, bots: 1, phone_numbers: 1, knowledge_mb: 1, call_minutes_per_month: 1 } };
    expect(start(write('{not json'))).toThrow(ConfigError);
    expect(start(write(JSON.stringify([{ ...free, limits: { ...free.limits, bots: -1 } }])))).toThrow(/plans\.0\.limits\.bots/);
    expect(start(write(JSON.stringify([{ ...free, id: 'creator' }])))).toThrow(/"free" is required/);
    expect(start(write(JSON.stringify([free, { ...free, name: 'Again' }])))).toThrow(/appears twice/);
    expect(start(write(JSON.stringify([free, { ...free, id: 'gold', stripe_price_id: 'prod_123' }])))).toThrow(/plans\.1\.stripe_price_id: must be a Stripe price id/);
    expect(start(join(tmpdir(), 'no-such-dir-sinth', 'plans.json'))).toThrow(/PLANS_FILE/);
  });
});

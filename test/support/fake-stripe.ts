import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';

/**
 * A real HTTP server speaking the parts of Stripe's API (v1) sinth uses: customers, Checkout
 * sessions, billing portal sessions, and subscriptions (retrieve, update, cancel). It checks the
 * secret key (Authorization: Bearer), reads form-encoded bracket bodies, replays a repeated
 * Idempotency-Key like Stripe does, answers Stripe's JSON shapes and error bodies, and records every
 * request, so the official SDK runs unchanged against it (host/port/protocol). It fails on demand.
 */

export interface FakeStripeRequest {
  method: string;
  path: string;
  /** The form body (or query) as nested objects, bracket keys unfolded. */
  params: Record<string, any>;
  idempotencyKey: string | null;
  authorized: boolean;
}

export interface FakeStripe {
  url: string;
  key: string;
  requests: FakeStripeRequest[];
  customers: Map<string, any>;
  subscriptions: Map<string, any>;
  /** The next `times` API calls answer this status with a Stripe error body. */
  failNext(status: number, message?: string, times?: number): void;
  /** A subscription as Stripe would hold it (for webhook events and retrieve/update/cancel). */
  addSubscription(o: { customer: string; price: string; status?: string; metadata?: Record<string, string>; periodStart?: number; periodEnd?: number }): any;
  reset(): void;
  close(): Promise<void>;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** `a[b][0][c]=v` form fields as nested objects (numeric levels as arrays), as Stripe reads them. */
export function unfoldForm(text: string): Record<string, any> {
  const root: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: any = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(path[i + 1]!) ? [] : {};
    });
  }
  return root;
}

export async function startFakeStripe(key = `sk_test_${randomBytes(12).toString('hex')}`): Promise<FakeStripe> {
  const requests: FakeStripeRequest[] = [];
  const customers = new Map<string, any>();
  const subscriptions = new Map<string, any>();
  const replays = new Map<string, { status: number; body: unknown }>();
  let failure: { status: number; message: string; times: number } | null = null;
  const now = () => Math.floor(Date.now() / 1000);

  const error = (status: number, message: string, type = 'invalid_request_error') => ({ status, body: { error: { type, message } } });
  const subscriptionObject = (o: Parameters<FakeStripe['addSubscription']>[0]) => {
    const start = o.periodStart ?? now();
    const end = o.periodEnd ?? start + 30 * 86_400;
    return {
      id: newId('sub'),
      object: 'subscription',
      customer: o.customer,
      status: o.status ?? 'active',
      cancel_at_period_end: false,
      canceled_at: null,
      metadata: o.metadata ?? {},
      items: { object: 'list', data: [{ id: newId('si'), object: 'subscription_item', price: { id: o.price, object: 'price' }, current_period_start: start, current_period_end: end }] },
    };
  };

  function route(method: string, path: string, params: Record<string, any>): { status: number; body: unknown } {
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const customer = { id: newId('cus'), object: 'customer', email: params.email ?? null, name: params.name ?? null, metadata: params.metadata ?? {}, created: now() };
      customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/customers\/([^/]+)$/))) {
      const customer = customers.get(m[1]!);
      return customer ? { status: 200, body: customer } : error(404, `No such customer: '${m[1]}'`);
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (params.mode !== 'subscription') return error(400, 'mode must be subscription here');
      if (!customers.has(params.customer)) return error(400, `No such customer: '${params.customer}'`);
      if (!params.line_items?.[0]?.price?.startsWith('price_')) return error(400, 'line_items[0][price] is required');
      const id = newId('cs_test');
      return {
        status: 200,
        body: { id, object: 'checkout.session', mode: 'subscription', url: `https://checkout.stripe.test/c/pay/${id}`, customer: params.customer, client_reference_id: params.client_reference_id ?? null, metadata: params.metadata ?? {}, success_url: params.success_url, cancel_url: params.cancel_url, status: 'open', payment_status: 'unpaid', subscription: null },
      };
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!customers.has(params.customer)) return error(400, `No such customer: '${params.customer}'`);
      const id = newId('bps');
      return { status: 200, body: { id, object: 'billing_portal.session', customer: params.customer, return_url: params.return_url, url: `https://billing.stripe.test/p/session/${id}` } };
    }
    if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const sub = subscriptions.get(m[1]!);
      if (!sub) return error(404, `No such subscription: '${m[1]}'`);
      if (method === 'GET') return { status: 200, body: sub };
      if (sub.status === 'canceled') return error(400, 'This subscription is canceled.');
      if (method === 'POST') {
        if (params.cancel_at_period_end !== undefined) sub.cancel_at_period_end = params.cancel_at_period_end === 'true';
        return { status: 200, body: sub };
      }
      if (method === 'DELETE') {
        Object.assign(sub, { status: 'canceled', canceled_at: now(), cancel_at_period_end: false });
        return { status: 200, body: sub };
      }
    }
    return error(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const [path, query = ''] = (req.url ?? '').split('?') as [string, string?];
    const body = Buffer.concat(chunks).toString('utf8');
    const authorized = req.headers.authorization === `Bearer ${key}`;
    const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    const method = req.method ?? 'GET';
    const params = unfoldForm(method === 'POST' ? body : query);
    requests.push({ method, path, params, idempotencyKey, authorized });
    const send = (r: { status: number; body: unknown }) => res.writeHead(r.status, { 'content-type': 'application/json', 'request-id': newId('req') }).end(JSON.stringify(r.body));
    if (!authorized) return send(error(401, `Invalid API Key provided: ${String(req.headers.authorization ?? '').slice(7, 15)}****`));
    if (failure && failure.times > 0) {
      failure.times--;
      return send(error(failure.status, failure.message, failure.status >= 500 ? 'api_error' : 'invalid_request_error'));
    }
    const replayKey = idempotencyKey && method === 'POST' ? `${path}\n${idempotencyKey}` : null;
    const replay = replayKey ? replays.get(replayKey) : undefined;
    if (replay) return send(replay);
    const answer = route(method, path, params);
    if (replayKey) replays.set(replayKey, answer);
    send(answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    requests,
    customers,
    subscriptions,
    failNext: (status, message = 'Something went wrong on Stripe\'s end.', times = 1) => void (failure = { status, message, times }),
    addSubscription: (o) => {
      const sub = subscriptionObject(o);
      subscriptions.set(sub.id, sub);
      return sub;
    },
    reset: () => {
      requests.length = 0;
      failure = null;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let eventCounter = 0;

/** A Stripe event's JSON (as Stripe POSTs it), with a fresh id unless given. */
export function stripeEvent(type: string, object: unknown, o: { id?: string; created?: number } = {}): string {
  return JSON.stringify({
    id: o.id ?? `evt_test_${Date.now().toString(36)}${(eventCounter++).toString(36)}${randomBytes(4).toString('hex')}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: o.created ?? Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object },
  });
}

/** The Stripe-Signature header Stripe would send for this payload. */
export const signStripe = (payload: string, secret: string, timestamp?: number) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) });

export const WEBHOOK_SECRET = 'whsec_test_sinth';
export const PRICE = { creator: 'price_creator_test', pro: 'price_pro_test' };

type Limits = { messages_per_month: number | null; bots: number | null; phone_numbers: number | null; knowledge_mb: number | null; call_minutes_per_month: number | null };
const UNLIMITED: Limits = { messages_per_month: null, bots: null, phone_numbers: null, knowledge_mb: null, call_minutes_per_month: null };

/**
 * A PLANS_FILE in a temp directory: a small free plan (its limits given, the rest unlimited) and two
 * paid plans sold at PRICE.creator and PRICE.pro.
 */
export function writePlansFile(free: Partial<Limits> = {}, extra: unknown[] = []): string {
  const plans = [
    { id: 'free', name: 'Free', price: { amount: 0, currency: 'usd', interval: 'month' }, limits: { ...UNLIMITED, ...free } },
    { id: 'creator', name: 'Creator', price: { amount: 2900, currency: 'usd', interval: 'month' }, stripe_price_id: PRICE.creator, limits: { ...UNLIMITED, bots: 5 } },
    { id: 'pro', name: 'Pro', price: { amount: 9900, currency: 'usd', interval: 'month' }, stripe_price_id: PRICE.pro, limits: UNLIMITED },
    ...extra,
  ];
  const path = join(mkdtempSync(join(tmpdir(), 'sinth-plans-')), 'plans.json');
  writeFileSync(path, JSON.stringify(plans));
  return path;
}

/** The environment of a server billing through `stripe`, on the plans in `plansFile`. */
export const stripeEnv = (stripe: FakeStripe, plansFile?: string): Record<string, string> => ({
  STRIPE_SECRET_KEY: stripe.key,
  STRIPE_API_BASE_URL: stripe.url,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  ...(plansFile ? { PLANS_FILE: plansFile } : {}),
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { systemContext } from '../src/core/context.js';
import { emitEvent } from '../src/core/events.js';
import { decryptSecret } from '../src/core/secrets.js';
import { startHarness, TEST_SECRET, type Harness } from './support/harness.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { waitUntil } from './support/wait.js';

let h: Harness;
let sink: SmtpSink;
const receivers: WebhookReceiver[] = [];
// Role all: the outbox relay and the delivery loop run as in a worker. The receivers listen on
// 127.0.0.1, which only ALLOW_PRIVATE_URLS lets deliveries reach (webhooks-private.test.ts covers the refusal).
// Emails go to a real SMTP sink: the notice of a disabled endpoint is one.
beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startHarness({ ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '1500', SMTP_URL: sink.url }, { role: 'all' });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await h.close();
  await sink.close();
});
afterEach(async () => void (await Promise.all(receivers.splice(0).map((r) => r.close()))));

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}

async function setup(events: string[] = ['*'], r?: WebhookReceiver) {
  const { key, accountId } = await h.signup();
  const bot = await h.createBot(key);
  const rec = r ?? (await receiver());
  const res = await h.request('POST', '/add_webhook', { key, body: { url: rec.url, events } });
  expect(res.status).toBe(200);
  rec.setSecret(res.body.secret);
  return { key, accountId, botId: bot.bot_id as string, receiver: rec, webhook: res.body };
}

async function createUser(key: string, botId: string, userId: string) {
  const res = await h.request('POST', '/create_user', { key, body: { bot_id: botId, user_id: userId } });
  expect(res.status).toBe(200);
}

async function deliveries(key: string, webhookId: string, status?: string) {
  const res = await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: webhookId, ...(status ? { status } : {}) } });
  expect(res.status).toBe(200);
  return res.body.data as any[];
}

const waitDeliveries = (key: string, webhookId: string, done: (d: any[]) => boolean, what: string) => waitUntil(() => deliveries(key, webhookId), done, what, 20_000);

/** Stands in for the backoff running out: the delivery is due now. */
const dueNow = (deliveryId: string) => h.database.db.updateTable('webhook_deliveries').set({ next_attempt_at: sql`now()` }).where('id', '=', deliveryId).execute();

const eventsOf = (accountId: string, type: string) =>
  h.database.db.selectFrom('outbox_events').select(['id', 'payload', 'dispatched_at']).where('account_id', '=', accountId).where('type', '=', type).orderBy('id').execute();

describe('webhook delivery', () => {
  it('delivers a real event signed per Standard Webhooks, with the event id as webhook-id, and logs the attempt', async () => {
    const { key, accountId, botId, receiver: rec, webhook } = await setup(['user.created']);
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await createUser(key, botId, 'fan-1');
    const [got] = await waitUntil(async () => rec.verified('user.created'), (v) => v.length === 1, 'the signed delivery');
    const [event] = await eventsOf(accountId, 'user.created');
    expect(got!.headers['webhook-id']).toBe(event!.id);
    expect(got!.payload).toEqual({ id: event!.id, type: 'user.created', created_at: (event!.payload as any).created_at, data: { bot_id: botId, user_id: 'fan-1' } });
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['user-agent']).toMatch(/^sinth\//);
    expect(rec.received).toHaveLength(1);

    const [d] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'succeeded', 'the delivery recorded as succeeded');
    expect(d).toMatchObject({ event_id: event!.id, event_type: 'user.created', attempt_count: 1, last_status_code: 200, last_response_excerpt: 'ok', last_error: null, next_attempt_at: null });
    expect(d.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, response_excerpt: 'ok', error: null, latency_ms: expect.any(Number) })]);
  });

  it('retries a receiver that is down, then delivers once, with the same webhook-id', async () => {
    const rec = await receiver();
    rec.respondWith({ status: 500, body: 'down for maintenance' });
    const { key, botId, webhook } = await setup(['user.created'], rec);
    await createUser(key, botId, 'fan-2');
    const [failed] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'failed', 'a failed first attempt');
    expect(failed).toMatchObject({ attempt_count: 1, last_status_code: 500, last_error: 'HTTP 500', last_response_excerpt: 'down for maintenance' });
    // Full jitter under the first ceiling (30 s), never less than a second.
    const wait = Date.parse(failed.next_attempt_at) - Date.parse(failed.last_attempt_at);
    expect(wait).toBeGreaterThanOrEqual(1_000);
    expect(wait).toBeLessThanOrEqual(30_000);
    const [hook] = (await h.request('GET', '/get_webhooks', { key })).body.data;
    expect(hook.failing_since).not.toBeNull();

    rec.respondWith({ status: 204 });
    await dueNow(failed.delivery_id);
    const [done] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'succeeded', 'the retried delivery');
    expect(done.attempts.map((a: any) => a.status_code)).toEqual([500, 204]);
    expect(done.next_attempt_at).toBeNull();
    expect(rec.verified()).toHaveLength(2);
    expect(new Set(rec.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([failed.event_id]));
    expect((await h.request('GET', '/get_webhooks', { key })).body.data[0].failing_since).toBeNull();
  });

  it('disables an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_HOURS, kills its deliveries and tells the account', async () => {
    const rec = await receiver();
    rec.respondWith({ status: 503 });
    const { key, accountId, botId, webhook } = await setup(['*'], rec);
    const email = (await h.request('GET', '/get_notification_settings', { key })).body.emails[0] as string;
    await createUser(key, botId, 'fan-3a');
    await createUser(key, botId, 'fan-3b');
    const failed = await waitDeliveries(key, webhook.webhook_id, (l) => l.length === 2 && l.every((d) => d.status === 'failed'), 'two failed deliveries');
    // Three days of failures, without waiting for them.
    const since = new Date(Date.now() - 73 * 3_600_000);
    await h.database.db.updateTable('webhooks').set({ failing_since: since }).where('id', '=', webhook.webhook_id).execute();
    await dueNow(failed[0].delivery_id);

    const [hook] = await waitUntil(async () => (await h.request('GET', '/get_webhooks', { key })).body.data, (l: any[]) => l[0]?.enabled === false, 'the endpoint disabled');
    expect(hook.disabled_reason).toContain('72 hours');
    expect(hook.disabled_at).not.toBeNull();
    const after = await deliveries(key, webhook.webhook_id);
    expect(after.map((d) => [d.status, d.next_attempt_at])).toEqual([['dead', null], ['dead', null]]);

    const [notice] = await eventsOf(accountId, 'webhook.disabled');
    expect((notice!.payload as any).data).toEqual({ webhook_id: webhook.webhook_id, url: rec.url, failing_since: since.toISOString() });
    const audit = await h.database.db.selectFrom('audit_logs').select(['action', 'actor_type']).where('account_id', '=', accountId).where('object_id', '=', webhook.webhook_id).orderBy('id').execute();
    expect(audit).toEqual([{ action: 'webhook.created', actor_type: 'key' }, { action: 'webhook.disabled', actor_type: 'system' }]);
    // The worker relays the notice and the notifications job emails it to the account.
    const [mail] = await waitUntil(async () => sink.received.filter((m) => m.to.includes(email)), (l) => l.length > 0, 'the disabled-webhook email', 20_000);
    expect(mail!.text).toContain(webhook.webhook_id);

    // Nothing more reaches a disabled endpoint, and the internal event itself is never delivered.
    await createUser(key, botId, 'fan-3c');
    await waitUntil(async () => eventsOf(accountId, 'user.created'), (l) => l.length === 3 && l.every((e) => e.dispatched_at), 'the new events relayed');
    await waitUntil(async () => eventsOf(accountId, 'webhook.disabled'), (l) => l.every((e) => e.dispatched_at), 'the notice relayed');
    expect(await deliveries(key, webhook.webhook_id)).toHaveLength(2);

    // The receiver mended: a retried delivery that succeeds enables the endpoint again, and new events reach it.
    rec.respondWith({ status: 200 });
    const retried = await h.request('POST', '/retry_webhook_delivery', { key, body: { delivery_id: failed[0].delivery_id } });
    expect(retried.status).toBe(200);
    const [again] = await waitUntil(async () => (await h.request('GET', '/get_webhooks', { key })).body.data, (l: any[]) => l[0]?.enabled === true, 'the endpoint enabled again');
    expect(again).toMatchObject({ disabled_at: null, disabled_reason: null, failing_since: null });
    const reaudit = await h.database.db.selectFrom('audit_logs').select(['action', 'actor_type']).where('account_id', '=', accountId).where('object_id', '=', webhook.webhook_id).orderBy('id').execute();
    expect(reaudit.slice(2)).toEqual([{ action: 'webhook.enabled', actor_type: 'system' }]);
    await createUser(key, botId, 'fan-3d');
    await waitUntil(async () => rec.verified().filter((r) => r.payload!.type === 'user.created' && (r.payload!.data as any).user_id === 'fan-3d'), (l) => l.length === 1, 'a new event delivered');
  });

  it('does not follow a redirect: the 3xx is a failed attempt, and only the registered URL is called', async () => {
    const rec = await receiver();
    rec.respondWith({ redirect: rec.url.replace('/hook', '/elsewhere') });
    const { key, botId, webhook } = await setup(['user.created'], rec);
    await createUser(key, botId, 'fan-4');
    const [d] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'failed', 'the redirected attempt');
    expect(d.last_status_code).toBe(302);
    expect(d.last_error).toContain('not followed');
    expect(rec.received.map((r) => r.path)).toEqual(['/hook']);
  });

  it('gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS', async () => {
    const rec = await receiver();
    rec.respondWith('hang');
    const { key, botId, webhook } = await setup(['user.created'], rec);
    await createUser(key, botId, 'fan-5');
    const [d] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'failed', 'the timed-out attempt');
    expect(d).toMatchObject({ last_status_code: null, last_error: 'timed out after 1500 ms' });
    expect(d.attempts[0].latency_ms).toBeGreaterThanOrEqual(1_400);
  });

  it('delivers only the event types an endpoint subscribed to, and never internal ones', async () => {
    const { key, accountId, botId, receiver: created } = await setup(['user.created']);
    const optOuts = await receiver();
    const all = await receiver();
    for (const [rec, events] of [[optOuts, ['user.opted_out']], [all, ['*']]] as const) {
      const res = await h.request('POST', '/add_webhook', { key, body: { url: rec.url, events } });
      rec.setSecret(res.body.secret);
    }
    await createUser(key, botId, 'fan-6');
    await h.database.db.transaction().execute((trx) => emitEvent(trx, systemContext(h.deps, accountId), 'webhook.disabled', { webhook_id: 'whk_x', url: 'https://example.com', failing_since: null }));
    await waitUntil(async () => [created.verified().length, all.verified().length], ([a, b]) => a === 1 && b === 1, 'user.created at both subscribers');
    await waitUntil(async () => h.database.db.selectFrom('outbox_events').select('dispatched_at').where('account_id', '=', accountId).execute(), (l) => l.every((e) => e.dispatched_at), 'every event relayed');
    const rows = await h.database.db.selectFrom('webhook_deliveries').select(['webhook_id', 'event_type']).where('account_id', '=', accountId).execute();
    expect(rows.map((r) => r.event_type)).toEqual(['user.created', 'user.created']);
    expect(optOuts.received).toHaveLength(0);
    expect(all.received.map((r) => r.payload?.type)).toEqual(['user.created']);
  });

  it('sends a delivery again on retry_webhook_delivery, even a succeeded one', async () => {
    const { key, accountId, botId, receiver: rec, webhook } = await setup(['user.created']);
    await createUser(key, botId, 'fan-7');
    const [d] = await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'succeeded', 'the first delivery');
    const res = await h.request('POST', '/retry_webhook_delivery', { key, body: { delivery_id: d.delivery_id } });
    expect(res.status).toBe(200);
    // Not leased at that moment (it had succeeded): made due again, not yet sent.
    expect(res.body.status).toBe('pending');
    await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.attempt_count === 2 && l[0]?.status === 'succeeded', 'the second attempt');
    expect(rec.verified().map((r) => r.headers['webhook-id'])).toEqual([d.event_id, d.event_id]);
    const audit = await h.database.db.selectFrom('audit_logs').select('action').where('account_id', '=', accountId).where('object_id', '=', d.delivery_id).execute();
    expect(audit).toEqual([{ action: 'webhook_delivery.retried' }]);
  });

  it('erasing a user removes their deliveries and attempts, sent or not', async () => {
    const rec = await receiver();
    rec.respondWith({ status: 500, body: 'echo: fan-8' });
    const { key, botId, webhook } = await setup(['user.created'], rec);
    await createUser(key, botId, 'fan-8');
    await createUser(key, botId, 'fan-9');
    const list = await waitDeliveries(key, webhook.webhook_id, (l) => l.length === 2 && l.every((d) => d.status === 'failed'), 'two failed deliveries');
    const res = await h.request('POST', '/delete_user', { key, body: { bot_id: botId, user_id: 'fan-8' } });
    expect(res.status).toBe(200);
    const left = await deliveries(key, webhook.webhook_id);
    expect(left).toHaveLength(1);
    const erased = list.find((d) => !left.some((l) => l.delivery_id === d.delivery_id))!;
    expect(await h.database.db.selectFrom('webhook_attempts').select('attempt').where('delivery_id', '=', erased.delivery_id).execute()).toEqual([]);
    const [kept] = await h.database.db.selectFrom('outbox_events').select('payload').where('id', '=', left[0].event_id).execute();
    expect((kept!.payload as any).data.user_id).toBe('fan-9');
  });

  it('delete_webhook removes the endpoint and its deliveries; nothing more is sent to it', async () => {
    const rec = await receiver();
    rec.respondWith({ status: 500 });
    const { key, accountId, botId, webhook } = await setup(['user.created'], rec);
    await createUser(key, botId, 'fan-10');
    await waitDeliveries(key, webhook.webhook_id, (l) => l[0]?.status === 'failed', 'a failed delivery');
    const res = await h.request('POST', '/delete_webhook', { key, body: { webhook_id: webhook.webhook_id } });
    expect(res.body).toEqual({ webhook_id: webhook.webhook_id, deleted: true });
    expect(await h.database.db.selectFrom('webhook_deliveries').select('id').where('account_id', '=', accountId).execute()).toEqual([]);
    expect((await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: webhook.webhook_id } })).status).toBe(404);
    expect((await h.request('POST', '/delete_webhook', { key, body: { webhook_id: webhook.webhook_id } })).status).toBe(404);
  });
});

describe('webhook endpoints', () => {
  it('never returns the secret after creation, and stores it sealed', async () => {
    const { key, webhook } = await setup(['user.created', 'user.opted_out', 'user.created']);
    expect(webhook.events).toEqual(['user.created', 'user.opted_out']);
    const list = await h.request('GET', '/get_webhooks', { key });
    expect(list.body.data).toEqual([{ webhook_id: webhook.webhook_id, url: webhook.url, events: ['user.created', 'user.opted_out'], enabled: true, disabled_at: null, disabled_reason: null, failing_since: null, created_at: webhook.created_at }]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const row = await h.database.db.selectFrom('webhooks').select('secret_enc').where('id', '=', webhook.webhook_id).executeTakeFirstOrThrow();
    expect(row.secret_enc).not.toContain(webhook.secret.slice('whsec_'.length, 20));
    expect(decryptSecret(row.secret_enc, TEST_SECRET, `webhooks:${webhook.webhook_id}`)).toBe(webhook.secret);
  });

  it('validates the url and the events, naming the parameter', async () => {
    const { key } = await h.signup();
    const bad = async (body: unknown) => (await h.request('POST', '/add_webhook', { key, body })).body.error;
    for (const url of ['not a url', 'ftp://example.com/hook', 'https://user:pass@example.com/hook', 'javascript:alert(1)']) {
      expect(await bad({ url, events: ['*'] })).toMatchObject({ type: 'invalid_request', param: 'url' });
    }
    for (const events of [[], ['user.exploded'], ['*', 'user.created'], ['webhook.disabled'], 'user.created']) {
      expect(await bad({ url: 'https://example.com/hook', events })).toMatchObject({ type: 'invalid_request', param: expect.stringMatching(/^events(\.\d+)?$/) });
    }
    expect(await bad({ url: 'https://example.com/hook', events: ['*'], secret: 'mine' })).toMatchObject({ type: 'invalid_request' });
    expect((await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: 'whk_x', status: 'lost' } })).body.error.type).toBe('invalid_request');
  });

  it('keeps accounts apart: another account\'s webhook or delivery is a 404', async () => {
    const owner = await setup(['user.created']);
    await createUser(owner.key, owner.botId, 'fan-11');
    const [d] = await waitDeliveries(owner.key, owner.webhook.webhook_id, (l) => l[0]?.status === 'succeeded', 'the owner\'s delivery');
    const other = await h.signup();
    expect((await h.request('GET', '/get_webhooks', { key: other.key })).body.data).toEqual([]);
    const res = [
      await h.request('GET', '/get_webhook_deliveries', { key: other.key, query: { webhook_id: owner.webhook.webhook_id } }),
      await h.request('POST', '/delete_webhook', { key: other.key, body: { webhook_id: owner.webhook.webhook_id } }),
      await h.request('POST', '/retry_webhook_delivery', { key: other.key, body: { delivery_id: d.delivery_id } }),
    ];
    expect(res.map((r) => [r.status, r.body.error.param])).toEqual([[404, 'webhook_id'], [404, 'webhook_id'], [404, 'delivery_id']]);
    expect((await h.request('GET', '/get_webhooks', { key: owner.key })).body.data).toHaveLength(1);
  });

  it('pages deliveries newest first and filters them by status', async () => {
    const { key, botId, webhook } = await setup(['user.created']);
    for (const u of ['p1', 'p2', 'p3']) await createUser(key, botId, u);
    const all = await waitDeliveries(key, webhook.webhook_id, (l) => l.length === 3 && l.every((d) => d.status === 'succeeded'), 'three deliveries');
    const first = await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: webhook.webhook_id, limit: 2 } });
    const second = await h.request('GET', '/get_webhook_deliveries', { key, query: { webhook_id: webhook.webhook_id, limit: 2, cursor: first.body.next_cursor } });
    expect([...first.body.data, ...second.body.data].map((d: any) => d.delivery_id)).toEqual(all.map((d) => d.delivery_id));
    expect(all.map((d) => d.delivery_id)).toEqual([...all.map((d) => d.delivery_id)].sort().reverse());
    expect(second.body.next_cursor).toBeNull();
    expect(await deliveries(key, webhook.webhook_id, 'failed')).toEqual([]);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { systemContext } from '../src/core/context.js';
import { emitEvent, type EventType } from '../src/core/events.js';
import { idsAt, newId } from '../src/core/ids.js';
import { relayOutbox } from '../src/features/outbox/relay.js';
import { RETRY_CEILINGS_MS, retryDelayMs, retryWindowMs } from '../src/features/webhooks/backoff.js';
import { createDeliveries, webhookConsumers } from '../src/features/webhooks/consumer.js';
import { DeliveryDispatcher } from '../src/features/webhooks/delivery-dispatcher.js';
import { claimDeliveries, type ClaimedDelivery } from '../src/features/webhooks/delivery-store.js';
import { pruneWebhookHistory } from '../src/features/webhooks/jobs.js';
import { recordAttempts } from '../src/features/webhooks/record-attempts.js';
import type { AttemptResult } from '../src/features/webhooks/send-webhook.js';
import { startHarness, type Harness } from './support/harness.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

let h: Harness;
// Role api: no delivery loop claims rows behind the test's back.
beforeAll(async () => (h = await startHarness({ ALLOW_PRIVATE_URLS: 'true' }, { role: 'api' })));
afterAll(() => h.close());
// Every test starts with nothing due, so what a claim returns is the test's own.
beforeEach(async () => {
  await h.database.db.updateTable('webhook_deliveries').set({ status: 'dead', next_attempt_at: null }).where('status', 'in', ['pending', 'failed']).execute();
});

const db = () => h.database.db;

async function account(hooks: Array<{ events: string[]; enabled?: boolean }>) {
  const { key, accountId } = await h.signup();
  const ids: string[] = [];
  for (const hook of hooks) {
    const res = await h.request('POST', '/add_webhook', { key, body: { url: 'http://127.0.0.1:9/hook', events: hook.events } });
    ids.push(res.body.webhook_id);
    if (hook.enabled === false) await db().updateTable('webhooks').set({ enabled: false }).where('id', '=', res.body.webhook_id).execute();
  }
  return { accountId, webhookIds: ids };
}

async function emit(accountId: string, types: EventType[]): Promise<string[]> {
  const ctx = systemContext(h.deps, accountId);
  return db().transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const t of types) ids.push(await emitEvent(trx, ctx, t, { bot_id: 'bot_x', user_id: 'u' }));
    return ids;
  });
}

const relay = async () => {
  while (await relayOutbox(db(), webhookConsumers(h.deps))) {
    // until the outbox is empty
  }
};

const result = (ok: boolean, over: Partial<AttemptResult> = {}): AttemptResult => ({ ok, attemptedAt: new Date(), statusCode: ok ? 200 : 500, latencyMs: 12, error: ok ? null : 'HTTP 500', response: ok ? 'ok' : 'no', ...over });

describe('webhook deliveries in the database', () => {
  it('makes one delivery per (event, enabled subscribed endpoint), never for internal events, never twice', async () => {
    const { accountId, webhookIds: [created, all, disabled] } = await account([{ events: ['user.created'] }, { events: ['*'] }, { events: ['*'], enabled: false }]);
    const [e1, e2, e3] = await emit(accountId, ['user.created', 'user.opted_out', 'payment.failed']);
    await relay();
    const rows = await db().selectFrom('webhook_deliveries').select(['id', 'webhook_id', 'event_id', 'status']).where('account_id', '=', accountId).orderBy('event_id').orderBy('webhook_id').execute();
    const pairs = rows.map((r) => [r.event_id, r.webhook_id]);
    expect(pairs).toEqual(expect.arrayContaining([[e1, created], [e1, all], [e2, all]]));
    expect(pairs).toHaveLength(3);
    expect(rows.every((r) => /^dlv_[0-9a-z]{26}$/.test(r.id) && r.status === 'pending')).toBe(true);
    expect(rows.some((r) => r.webhook_id === disabled || r.event_id === e3)).toBe(false);

    await db().transaction().execute((trx) => createDeliveries(trx, [{ id: e1!, type: 'user.created' }]));
    expect(await db().selectFrom('webhook_deliveries').select('id').where('account_id', '=', accountId).execute()).toHaveLength(3);
  });

  it('leases what it claims: claims side by side never share a row, and a lease that ran out is claimed again', async () => {
    const { accountId, webhookIds: [hook] } = await account([{ events: ['*'] }]);
    await emit(accountId, ['user.created', 'user.created', 'user.created', 'user.created', 'user.created']);
    await relay();
    const [a, b] = await Promise.all([claimDeliveries(db(), 2, 60_000, []), claimDeliveries(db(), 10, 60_000, [])]);
    const ids = [...a!, ...b!].map((d) => d.id);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(await claimDeliveries(db(), 10, 60_000, [])).toEqual([]);

    await db().updateTable('webhook_deliveries').set({ locked_until: sql`now() - interval '1 second'` }).where('id', '=', ids[0]!).execute();
    expect(await claimDeliveries(db(), 10, 60_000, [hook!])).toEqual([]);
    const again = await claimDeliveries(db(), 10, 60_000, []);
    expect(again.map((d) => d.id)).toEqual([ids[0]]);
    expect(again[0]).toMatchObject({ webhook_id: hook, attempts: 0, failing: false, payload: { type: 'user.created', data: { user_id: 'u' } } });
  });

  it('records outcomes: succeeded, failed with a retry under the ceiling, dead past the retry window; a lost lease changes nothing', async () => {
    const { accountId, webhookIds: [up, down] } = await account([{ events: ['user.created'] }, { events: ['user.opted_out'] }]);
    await emit(accountId, ['user.created', 'user.opted_out', 'user.opted_out', 'user.created']);
    await relay();
    // One of the failing endpoint's deliveries is older than the retry window.
    const downRows = await db().selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', down!).orderBy('id').execute();
    await db().updateTable('webhook_deliveries').set({ created_at: new Date(Date.now() - retryWindowMs(72) - 1000) }).where('id', '=', downRows[1]!.id).execute();
    const claimed = await claimDeliveries(db(), 10, 60_000, []);
    expect(claimed).toHaveLength(4);
    const [okOne, stale] = claimed.filter((d) => d.webhook_id === up);
    const lost: ClaimedDelivery = { ...stale!, lease: new Date(stale!.lease.getTime() - 1) };
    const at = new Date();
    await recordAttempts(h.deps, [
      { delivery: okOne!, result: result(true) },
      { delivery: lost, result: result(true) },
      ...claimed.filter((d) => d.webhook_id === down).map((d) => ({ delivery: d, result: result(false, { attemptedAt: at }) })),
    ], () => 0.5);

    const rows = await db().selectFrom('webhook_deliveries').selectAll().where('account_id', '=', accountId).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(okOne!.id)).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_response: 'ok', next_attempt_at: null, locked_until: null });
    expect(byId.get(okOne!.id)!.finished_at).not.toBeNull();
    expect(byId.get(stale!.id)).toMatchObject({ status: 'pending', attempts: 0, last_status_code: null });
    expect(byId.get(downRows[0]!.id)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'HTTP 500', locked_until: null });
    expect(byId.get(downRows[0]!.id)!.next_attempt_at!.getTime()).toBe(at.getTime() + RETRY_CEILINGS_MS[0]! / 2);
    expect(byId.get(downRows[1]!.id)).toMatchObject({ status: 'dead', next_attempt_at: null });
    const attempts = await db().selectFrom('webhook_attempts').select(['delivery_id', 'attempt', 'status_code']).where('delivery_id', '=', downRows[0]!.id).execute();
    expect(attempts).toEqual([{ delivery_id: downRows[0]!.id, attempt: 1, status_code: 500 }]);
    const hooks = await db().selectFrom('webhooks').select(['id', 'failing_since', 'enabled']).where('account_id', '=', accountId).orderBy('id').execute();
    expect(hooks.find((w) => w.id === up)!.failing_since).toBeNull();
    expect(hooks.find((w) => w.id === down)!.failing_since!.getTime()).toBe(at.getTime());
  });

  it('lets an endpoint known to be failing hold only a quarter of the slots, so one that hangs does not starve the others', async () => {
    const hanging = await startWebhookReceiver();
    const healthy = await startWebhookReceiver();
    try {
      hanging.respondWith('hang');
      const { key, accountId } = await h.signup();
      for (const [rec, events] of [[hanging, ['user.opted_out']], [healthy, ['user.created']]] as const) {
        const res = await h.request('POST', '/add_webhook', { key, body: { url: rec.url, events } });
        rec.setSecret(res.body.secret);
        if (rec === hanging) await db().updateTable('webhooks').set({ failing_since: new Date() }).where('id', '=', res.body.webhook_id).execute();
      }
      // The hanging endpoint's deliveries come first in the due order.
      await emit(accountId, ['user.opted_out', 'user.opted_out', 'user.opted_out']);
      await emit(accountId, ['user.created', 'user.created', 'user.created']);
      await relay();
      const dispatcher = new DeliveryDispatcher({ ...h.deps, config: { ...h.deps.config, WEBHOOK_CONCURRENCY: 4, WEBHOOK_TIMEOUT_MS: 1_000 } });
      expect(await dispatcher.tick()).toBe(true);
      // The healthy endpoint was served in full while the hanging one held a single slot.
      expect(healthy.verified('user.created')).toHaveLength(3);
      expect(hanging.received).toHaveLength(1);
      // Its other deliveries were let go unsent; the next ticks take them, one at a time.
      await dispatcher.tick();
      expect(hanging.received).toHaveLength(2);
      await dispatcher.tick();
      expect(hanging.received).toHaveLength(3);
      const rows = await db().selectFrom('webhook_deliveries').select(['event_type', 'status']).where('account_id', '=', accountId).execute();
      expect(rows.filter((r) => r.event_type === 'user.created').every((r) => r.status === 'succeeded')).toBe(true);
      expect(rows.filter((r) => r.event_type === 'user.opted_out').every((r) => r.status === 'failed')).toBe(true);
    } finally {
      await hanging.close();
      await healthy.close();
    }
  });

  it('backs off exponentially with full jitter, and retries for at least 24 hours', () => {
    expect(retryDelayMs(1, () => 0)).toBe(1_000);
    expect(retryDelayMs(1, () => 0.999_999)).toBeLessThanOrEqual(30_000);
    expect(retryDelayMs(2, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(8, () => 0.5)).toBe(4 * 3_600_000);
    expect(retryDelayMs(50, () => 0.5)).toBe(4 * 3_600_000);
    expect(retryWindowMs(72)).toBe(72 * 3_600_000);
    expect(retryWindowMs(1)).toBe(24 * 3_600_000);
  });

  it('prunes finished deliveries and relayed events past the retention, and keeps what a delivery still waits on', async () => {
    const { accountId, webhookIds: [hook] } = await account([{ events: ['*'] }]);
    const old = Date.now() - 31 * 86_400_000;
    const [gone, waited, unrelayed, takeover] = idsAt('evt', [old, old + 1, old + 2, old + 3]);
    const payload = (id: string) => JSON.stringify({ id, type: 'user.created', created_at: new Date(old).toISOString(), data: {} });
    await db().insertInto('outbox_events').values([
      { id: gone!, account_id: accountId, type: 'user.created', payload: payload(gone!), dispatched_at: new Date(old) },
      { id: waited!, account_id: accountId, type: 'user.created', payload: payload(waited!), dispatched_at: new Date(old) },
      { id: unrelayed!, account_id: accountId, type: 'user.created', payload: payload(unrelayed!) },
      // Analytics counts takeovers from these: kept longer than the rest.
      { id: takeover!, account_id: accountId, type: 'conversation.takeover', payload: payload(takeover!), dispatched_at: new Date(old) },
    ]).execute();
    const [fresh] = await emit(accountId, ['user.created']);
    await relay();
    const delivery = (event: string, status: 'succeeded' | 'failed', finished: Date | null) => ({ id: newId('dlv'), account_id: accountId, webhook_id: hook!, event_id: event, event_type: 'user.created', status, finished_at: finished, next_attempt_at: status === 'failed' ? new Date(Date.now() + 3_600_000) : null });
    const oldDone = delivery(gone!, 'succeeded', new Date(old));
    const stillFailing = delivery(waited!, 'failed', null);
    await db().insertInto('webhook_deliveries').values([oldDone, stillFailing]).execute();
    await db().insertInto('webhook_attempts').values({ delivery_id: oldDone.id, attempt: 1, attempted_at: new Date(old), status_code: 200, latency_ms: 5, error: null, response: null }).execute();

    await pruneWebhookHistory(db());
    const events = await db().selectFrom('outbox_events').select('id').where('account_id', '=', accountId).orderBy('id').execute();
    expect(events.map((e) => e.id)).toEqual([waited, unrelayed, takeover, fresh]);
    const left = await db().selectFrom('webhook_deliveries').select(['id', 'event_id']).where('account_id', '=', accountId).execute();
    expect(left.map((d) => d.id)).toContain(stillFailing.id);
    expect(left.map((d) => d.id)).not.toContain(oldDone.id);
    expect(left.filter((d) => d.event_id === fresh)).toHaveLength(1);
    expect(await db().selectFrom('webhook_attempts').select('attempt').where('delivery_id', '=', oldDone.id).execute()).toEqual([]);
  });
});

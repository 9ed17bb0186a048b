import { sql, type Transaction } from 'kysely';
import { writeAudit } from '../../core/audit.js';
import { systemContext, type AppDeps } from '../../core/context.js';
import { emitEvent } from '../../core/events.js';
import type { DB } from '../../db/schema.js';
import { retryDelayMs, retryWindowMs } from './backoff.js';
import { leaseIsFree, type ClaimedDelivery } from './delivery-store.js';
import type { AttemptResult } from './send-webhook.js';
import { iso } from './webhook-view.js';

export interface Outcome {
  delivery: ClaimedDelivery;
  result: AttemptResult;
}

/**
 * Records a batch of attempts and what follows from them, in one transaction of a few statements
 * whatever the batch size: the attempt log, the endpoints' failing state (disabling those failing
 * too long), then each delivery's new status and next attempt. A delivery deleted meanwhile (its
 * endpoint deleted, its user erased) is skipped, and so is one whose lease another worker now holds.
 */
export async function recordAttempts(deps: AppDeps, outcomes: Outcome[], random: () => number = Math.random): Promise<void> {
  if (!outcomes.length) return;
  const window = retryWindowMs(deps.config.WEBHOOK_DISABLE_AFTER_HOURS);
  const now = Date.now();
  const col = <T>(f: (o: Outcome) => T) => outcomes.map(f);
  await deps.db.transaction().execute(async (trx) => {
    await sql`
      insert into webhook_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms, error, response)
      select v.id, v.attempt, v.at, v.code, v.latency, v.error, v.response
      from unnest(${col((o) => o.delivery.id)}::text[], ${col((o) => iso(o.delivery.lease))}::timestamptz[], ${col((o) => o.delivery.attempts + 1)}::int[], ${col((o) => iso(o.result.attemptedAt))}::timestamptz[],
        ${col((o) => o.result.statusCode)}::int[], ${col((o) => o.result.latencyMs)}::int[], ${col((o) => o.result.error)}::text[], ${col((o) => o.result.response)}::text[])
        as v (id, lease, attempt, at, code, latency, error, response)
      join webhook_deliveries d on d.id = v.id and d.locked_until = v.lease
      for key share of d
      on conflict do nothing
    `.execute(trx);

    await updateEndpoints(deps, trx, outcomes);

    await sql`
      update webhook_deliveries d set
        attempts = v.attempt,
        status = case when v.ok then 'succeeded' when w.enabled and not v.expired then 'failed' else 'dead' end,
        next_attempt_at = case when v.ok or not w.enabled or v.expired then null else v.next end,
        finished_at = case when v.ok or not w.enabled or v.expired then now() end,
        locked_until = null,
        last_attempt_at = v.at, last_status_code = v.code, last_latency_ms = v.latency, last_error = v.error, last_response = v.response
      from unnest(${col((o) => o.delivery.id)}::text[], ${col((o) => iso(o.delivery.lease))}::timestamptz[], ${col((o) => o.delivery.attempts + 1)}::int[],
        ${col((o) => o.result.ok)}::boolean[], ${col((o) => now - o.delivery.created_at.getTime() >= window)}::boolean[],
        ${col((o) => iso(new Date(o.result.attemptedAt.getTime() + retryDelayMs(o.delivery.attempts + 1, random))))}::timestamptz[],
        ${col((o) => iso(o.result.attemptedAt))}::timestamptz[], ${col((o) => o.result.statusCode)}::int[], ${col((o) => o.result.latencyMs)}::int[],
        ${col((o) => o.result.error)}::text[], ${col((o) => o.result.response)}::text[])
        as v (id, lease, attempt, ok, expired, next, at, code, latency, error, response),
        webhooks w
      where d.id = v.id and d.locked_until = v.lease and w.id = d.webhook_id
    `.execute(trx);
  });
}

/**
 * An endpoint with any success in the batch is healthy (failing_since cleared) and, if it had been
 * disabled, enabled again (audited): its receiver answers again, which an account shows through
 * retry_webhook_delivery (or a delivery under way when it was disabled shows by succeeding). One
 * with only failures is failing since its first failure after a success. Only changed rows are
 * written, plus enabled ones failing for longer than WEBHOOK_DISABLE_AFTER_HOURS, which are then
 * disabled. The rows are locked in id order first, so two batches at once neither deadlock nor both
 * see the endpoint disabled.
 */
async function updateEndpoints(deps: AppDeps, trx: Transaction<DB>, outcomes: Outcome[]): Promise<void> {
  const byWebhook = new Map<string, { ok: boolean; firstFailure: Date | null }>();
  for (const { delivery, result } of outcomes) {
    const e = byWebhook.get(delivery.webhook_id) ?? { ok: false, firstFailure: null };
    if (result.ok) e.ok = true;
    else if (!e.firstFailure || result.attemptedAt < e.firstFailure) e.firstFailure = result.attemptedAt;
    byWebhook.set(delivery.webhook_id, e);
  }
  const ids = [...byWebhook.keys()].sort();
  const { rows } = await sql<{ id: string; account_id: string; url: string; enabled: boolean; failing_since: Date | null; ok: boolean; overdue: boolean; mended: boolean }>`
    update webhooks w
    set failing_since = case when v.ok then null else coalesce(w.failing_since, v.at) end,
      enabled = w.enabled or v.ok,
      disabled_at = case when v.ok then null else w.disabled_at end,
      disabled_reason = case when v.ok then null else w.disabled_reason end
    from unnest(${ids}::text[], ${ids.map((id) => byWebhook.get(id)!.ok)}::boolean[], ${ids.map((id) => iso(byWebhook.get(id)!.firstFailure ?? new Date()))}::timestamptz[]) as v (id, ok, at),
      (select id, enabled from webhooks where id = any(${ids}::text[]) order by id for update) old
    where w.id = v.id and old.id = w.id
      and (case when v.ok then w.failing_since is not null or not old.enabled else w.failing_since is null or (w.enabled and w.failing_since < now() - make_interval(hours => ${deps.config.WEBHOOK_DISABLE_AFTER_HOURS})) end)
    returning w.id, w.account_id, w.url, w.enabled, w.failing_since, v.ok,
      (w.failing_since < now() - make_interval(hours => ${deps.config.WEBHOOK_DISABLE_AFTER_HOURS})) as overdue,
      (v.ok and not old.enabled) as mended
  `.execute(trx);
  for (const w of rows) if (!w.ok && w.enabled && w.overdue && w.failing_since) await disableWebhook(deps, trx, w as typeof w & { failing_since: Date });
  for (const w of rows) if (w.mended) await writeAudit(trx, systemContext(deps, w.account_id), { action: 'webhook.enabled', objectType: 'webhook', objectId: w.id, details: { reason: 'a delivery to it succeeded' } });
}

/**
 * Disables an endpoint that kept failing: its waiting deliveries become dead (those being sent now
 * follow when their outcome is recorded), and the account is told through the outbox, in this same
 * transaction (the notifications feature emails it from the webhook.disabled event).
 */
async function disableWebhook(deps: AppDeps, trx: Transaction<DB>, w: { id: string; account_id: string; url: string; failing_since: Date }): Promise<void> {
  const hours = deps.config.WEBHOOK_DISABLE_AFTER_HOURS;
  const reason = `Every delivery failed for more than ${hours} hours (since ${iso(w.failing_since)}).`;
  const disabled = await trx.updateTable('webhooks').set({ enabled: false, disabled_at: sql`now()`, disabled_reason: reason }).where('id', '=', w.id).where('enabled', '=', true).executeTakeFirst();
  if (!disabled.numUpdatedRows) return;
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'dead', next_attempt_at: null, finished_at: sql`now()` })
    .where('webhook_id', '=', w.id)
    .where('status', 'in', ['pending', 'failed'])
    .where(leaseIsFree)
    .execute();
  const ctx = systemContext(deps, w.account_id);
  await emitEvent(trx, ctx, 'webhook.disabled', { webhook_id: w.id, url: w.url, failing_since: iso(w.failing_since) });
  await writeAudit(trx, ctx, { action: 'webhook.disabled', objectType: 'webhook', objectId: w.id, details: { url: w.url, failing_since: iso(w.failing_since), reason } });
  deps.log.warn({ webhook_id: w.id, account_id: w.account_id, failing_since: w.failing_since }, 'webhook disabled after failing too long');
}

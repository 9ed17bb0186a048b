import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import type { Agent } from 'undici';
import type { AppDeps } from '../../core/context.js';
import { safeAgent } from '../../core/net/safe-agent.js';
import { providerDuration, providerErrors, webhookDeliveryLag } from '../../core/observability/metrics.js';
import { decryptSecret } from '../../core/secrets.js';
import { claimDeliveries, releaseDeliveries, type ClaimedDelivery } from './delivery-store.js';
import { recordAttempts, type Outcome } from './record-attempts.js';
import { sendWebhook, type AttemptResult } from './send-webhook.js';
import { secretContext } from './webhooks-service.js';

/** How long one tick keeps claiming new work before it finishes what it has and returns. */
const SESSION_MS = 5_000;
/** Outcomes wait at most this long to be recorded together. */
const FLUSH_AFTER_MS = 100;
/** Extra lease beyond the send timeout: time queued before the send, and to record the outcome. */
const LEASE_MARGIN_MS = 60_000;
const RECORD_RETRIES_MS = [100, 1_000];
const SIGNERS_KEPT = 1_000;

/**
 * Sends due deliveries, up to WEBHOOK_CONCURRENCY at once per process, as a pipeline: claims keep a
 * small queue of leased deliveries ahead of the sends, so a freed slot is refilled at once, and
 * outcomes are recorded in batches (record-attempts.ts) while the next sends go out. The database
 * work per delivery is a share of a few statements, and no send waits for another to finish.
 *
 * An endpoint known to be failing may hold only a quarter of the slots: one that hangs until the
 * timeout cannot starve the others. A healthy endpoint may use them all.
 */
export class DeliveryDispatcher {
  private readonly agent: Agent;
  readonly concurrency: number;
  /** Deliveries of this process claimed and not yet finished, by endpoint. */
  private readonly inFlight = new Map<string, number>();
  private readonly failing = new Set<string>();
  private readonly failingCap: number;
  private readonly signers = new Map<string, Webhook>();

  constructor(private readonly deps: AppDeps) {
    const { ALLOW_PRIVATE_URLS, WEBHOOK_CONCURRENCY, WEBHOOK_TIMEOUT_MS } = deps.config;
    this.agent = safeAgent(ALLOW_PRIVATE_URLS, Math.min(WEBHOOK_TIMEOUT_MS, 10_000));
    this.concurrency = WEBHOOK_CONCURRENCY;
    this.failingCap = Math.max(1, Math.floor(WEBHOOK_CONCURRENCY / 4));
  }

  /** One session of claiming and sending; true when it found work (the loop then goes straight on). */
  tick(): Promise<boolean> {
    return new DeliverySession(this).run();
  }

  /**
   * Claims up to `limit` deliveries. A claim can take more of a failing endpoint's deliveries than
   * its share (it learns the endpoint is failing from the rows themselves): those are let go again
   * at once, due as they were. `full`: the claim found as many as it asked for.
   */
  async claim(limit: number): Promise<{ deliveries: ClaimedDelivery[]; full: boolean }> {
    const saturated = [...this.failing].filter((id) => (this.inFlight.get(id) ?? 0) >= this.failingCap);
    const rows = await claimDeliveries(this.deps.db, limit, this.deps.config.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS, saturated);
    const deliveries: ClaimedDelivery[] = [];
    const excess: ClaimedDelivery[] = [];
    for (const d of rows) {
      if (d.failing) this.failing.add(d.webhook_id);
      const held = this.inFlight.get(d.webhook_id) ?? 0;
      if (this.failing.has(d.webhook_id) && held >= this.failingCap) {
        excess.push(d);
        continue;
      }
      this.inFlight.set(d.webhook_id, held + 1);
      deliveries.push(d);
    }
    if (excess.length) await releaseDeliveries(this.deps.db, excess);
    return { deliveries, full: rows.length === limit };
  }

  async send(d: ClaimedDelivery): Promise<AttemptResult> {
    try {
      const signer = this.signer(d);
      if (!signer) {
        return { ok: false, attemptedAt: new Date(), statusCode: null, latencyMs: 0, error: 'not sent: the signing secret cannot be decrypted (was SECRET_KEY changed?)', response: null };
      }
      const { id, type, created_at, data } = d.payload;
      const body = JSON.stringify({ id, type, created_at, data });
      const result = await sendWebhook(this.agent, { url: d.url, eventId: d.event_id, body, signer }, this.deps.config.WEBHOOK_TIMEOUT_MS);
      observe(d, result);
      if (result.ok) this.failing.delete(d.webhook_id);
      else this.failing.add(d.webhook_id);
      return result;
    } finally {
      const left = (this.inFlight.get(d.webhook_id) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(d.webhook_id, left);
      } else {
        // Only endpoints with deliveries in hand matter; the next claim says again whether it is failing.
        this.inFlight.delete(d.webhook_id);
        this.failing.delete(d.webhook_id);
      }
    }
  }

  /** The endpoint's signer, kept by sealed secret: most deliveries go to endpoints seen a moment ago. */
  private signer(d: ClaimedDelivery): Webhook | null {
    let signer = this.signers.get(d.secret_enc);
    if (!signer) {
      try {
        signer = new Webhook(decryptSecret(d.secret_enc, this.deps.config.SECRET_KEY, secretContext(d.webhook_id)));
      } catch {
        return null;
      }
      if (this.signers.size >= SIGNERS_KEPT) this.signers.clear();
      this.signers.set(d.secret_enc, signer);
    }
    return signer;
  }

  /**
   * Records outcomes, trying again after a failure (a deadlock with another worker's batch, a
   * connection lost). Should it keep failing, the leases run out and the deliveries are sent again:
   * receivers deduplicate on webhook-id.
   */
  async record(batch: Outcome[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await recordAttempts(this.deps, batch);
      } catch (err) {
        const wait = RECORD_RETRIES_MS[attempt];
        if (wait === undefined) {
          this.deps.log.error({ err, deliveries: batch.length }, 'could not record webhook attempts; they will be sent again when their lease ends');
          return;
        }
        await sleep(wait);
      }
    }
  }
}

function observe(d: ClaimedDelivery, result: AttemptResult): void {
  providerDuration.observe({ provider: 'webhook', operation: 'deliver', outcome: result.ok ? 'ok' : 'error' }, result.latencyMs / 1000);
  if (!result.ok) providerErrors.inc({ provider: 'webhook', operation: 'deliver' });
  // From the event to the endpoint's 2xx, retries included: what a receiver waits.
  else webhookDeliveryLag.observe(Math.max(0, result.attemptedAt.getTime() + result.latencyMs - Date.parse(d.payload.created_at)) / 1000);
}

/** One tick's worth of work: claims, sends and recordings overlap; it ends when it runs out of work or time. */
class DeliverySession {
  private readonly queue: ClaimedDelivery[] = [];
  private running = 0;
  private claiming = false;
  private drained = false; // a claim came back short: nothing more is due right now
  private error: unknown = null;
  private found = false;
  private outcomes: Outcome[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private recording: Promise<void> | null = null;
  private readonly stopClaimingAt = Date.now() + SESSION_MS;
  private readonly ahead: number;
  private readonly minClaim: number;
  private finish!: () => void;
  private readonly finished = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(private readonly d: DeliveryDispatcher) {
    this.ahead = Math.ceil(d.concurrency / 2);
    this.minClaim = Math.max(1, Math.floor(d.concurrency / 4));
  }

  async run(): Promise<boolean> {
    this.pump();
    await this.finished;
    while (this.recording || this.outcomes.length) {
      this.flush();
      await this.recording;
    }
    if (this.error) throw this.error;
    return this.found;
  }

  private pump(): void {
    while (this.running < this.d.concurrency && this.queue.length) this.start(this.queue.shift()!);
    const room = this.d.concurrency + this.ahead - this.running - this.queue.length;
    const mayClaim = !this.claiming && !this.drained && !this.error && Date.now() < this.stopClaimingAt;
    if (mayClaim && (room >= this.minClaim || !this.running)) this.claim(room);
    else if (!this.claiming && !this.running && !this.queue.length) this.finish();
  }

  private claim(limit: number): void {
    this.claiming = true;
    this.d.claim(limit).then(
      ({ deliveries, full }) => {
        if (!full) this.drained = true;
        if (deliveries.length) this.found = true;
        this.queue.push(...deliveries);
      },
      (err: unknown) => void (this.error = err),
    ).finally(() => {
      this.claiming = false;
      this.pump();
    });
  }

  private start(delivery: ClaimedDelivery): void {
    this.running++;
    void this.d.send(delivery).then((result) => {
      this.running--;
      this.outcomes.push({ delivery, result });
      if (this.outcomes.length >= this.d.concurrency / 2) this.flush();
      else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
      this.pump();
    });
  }

  /**
   * Records every waiting outcome in one batch, off the send path. One recording at a time: what
   * finishes meanwhile waits for the next, which takes it all, so batches grow when the database is slow.
   */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.recording || !this.outcomes.length) return;
    const batch = this.outcomes;
    this.outcomes = [];
    this.recording = this.d.record(batch).finally(() => {
      this.recording = null;
      if (this.outcomes.length >= this.d.concurrency / 2) this.flush();
      else if (this.outcomes.length) this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_AFTER_MS);
    });
  }
}

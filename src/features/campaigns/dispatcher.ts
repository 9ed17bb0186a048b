import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { systemContext, type AppDeps, type ServiceContext } from '../../core/context.js';
import { effectivePolicy } from '../prompts/policy-settings.js';
import { pickNumber } from '../sms/numbers.js';
import { reconcileSms, unsettledSms } from '../sms/reconcile-service.js';
import type { CampaignRow } from './campaign-view.js';
import { campaignNow } from './clock.js';
import { ACTIVE_STATUSES, cancelCampaign, completeCampaign, leftoverSms, noLiveDispatcher } from './lifecycle.js';
import { claimBatch, deliverAll } from './recipients-batch.js';
import { giveBack, rateBucket, takeSlots, untilNextWindow } from './send-rate.js';
import { parseTemplate } from './template.js';

/**
 * The campaign dispatcher: a pg-boss job that sends a campaign in batches (recipients-batch.ts) at the
 * campaign's rate from the bot's number, then hands over to a new job of itself.
 *
 * Exactly once. A recipient's SMS row (unique send key `campaign:<campaign>:<end user>`) is written
 * in the transaction that takes the recipient out of `pending`, and the send service claims that row
 * (queued → sending) before it calls the provider. So a crash at any point leaves each recipient
 * either pending (nothing was sent: taken again later), or with a `queued` row (never handed to the
 * provider: sent by the next dispatcher, which sends such leftovers first and does not complete the
 * campaign while any is left; once, by that claim), or with a row past `queued`. The next dispatcher
 * comes from the sweep (a stale heartbeat), or from pg-boss retrying the dead run's job when it
 * expires (when every pending recipient waits for quiet hours to end, which the sweep leaves alone).
 * The one window no database can close is a row `sending` when the process died (the provider may
 * or may not have taken the message, or its answer was lost): the send service never sends such a
 * row again on its own, as a duplicate marketing text is the worse failure (it annoys and can breach
 * consent rules). The SMS reconcile sweep (features/sms/reconcile-service.ts) asks the provider once
 * the send has surely settled: recorded if the provider has it, queued again if not; the campaign
 * completes only when none of its rows is left so.
 *
 * One dispatcher per campaign at a time, through a heartbeat on the campaign row: a run whose
 * heartbeat is older than CAMPAIGN_STALE_SECONDS is presumed dead and another takes over. This saves
 * work only; two dispatchers at once would still send nothing twice (skip locked, send keys) and the
 * rate is shared through the database.
 */

export const DISPATCH_JOB = 'campaigns.dispatch';
/** Recipients looked at per transaction. */
const BATCH = 100;
/**
 * A run hands over to a new job after this long, and within half of pg-boss's job expiry
 * (JOB_EXPIRE_SECONDS): a run still going at expiry would be presumed dead and its job retried.
 */
const SLICE_MS = 60_000;
const sliceMs = (expireSeconds: number) => Math.min(SLICE_MS, (expireSeconds * 1000) / 2);

type Outcome = 'busy' | 'scheduled' | 'deferred' | 'continued' | 'completed' | 'canceled';
interface Step {
  outcome: Outcome;
  /** Queue the next run after this many seconds; null: none. */
  after: number | null;
}

const secondsUntil = (at: Date, now: Date) => Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));

/** Runs one slice of a campaign's sending. Returns what happened (tests and logs read it). */
export async function dispatchCampaign(deps: AppDeps, campaignId: string): Promise<Outcome> {
  const run = randomBytes(8).toString('hex');
  const stale = deps.config.CAMPAIGN_STALE_SECONDS;
  const c = await deps.db
    .updateTable('campaigns')
    .set({ dispatcher_id: run, heartbeat_at: sql`now()` })
    .where('id', '=', campaignId)
    .where('status', 'in', ACTIVE_STATUSES)
    .where(noLiveDispatcher(stale))
    .returningAll()
    .executeTakeFirst();
  if (!c) return 'busy'; // another run is alive, or the campaign is over

  const lease = { lost: false };
  const beat = setInterval(() => {
    deps.db
      .updateTable('campaigns')
      .set({ heartbeat_at: sql`now()` })
      .where('id', '=', c.id)
      .where('dispatcher_id', '=', run)
      .returning('id')
      .executeTakeFirst()
      .then((row) => void (lease.lost ||= !row))
      .catch((err: unknown) => deps.log.warn({ err, campaign_id: c.id }, 'campaign heartbeat failed'));
  }, (stale * 1000) / 3);
  beat.unref();
  let step: Step = { outcome: 'busy', after: null };
  try {
    step = await sendSlice(deps, c, lease);
    return step.outcome;
  } finally {
    clearInterval(beat);
    // Let go before queuing the next run, or it would find this one still holding the campaign.
    await deps.db.updateTable('campaigns').set({ dispatcher_id: null, heartbeat_at: null }).where('id', '=', c.id).where('dispatcher_id', '=', run).execute();
    if (step.after !== null) await deps.jobs.send(DISPATCH_JOB, { campaign_id: c.id }, { startAfterSeconds: step.after });
    deps.log.debug({ campaign_id: c.id, outcome: step.outcome }, 'campaign dispatch');
  }
}

async function sendSlice(deps: AppDeps, c: CampaignRow, lease: { lost: boolean }): Promise<Step> {
  const ctx = systemContext(deps, c.account_id);
  const start = campaignNow();
  if (c.schedule_at && c.schedule_at > start) return { outcome: 'scheduled', after: secondsUntil(c.schedule_at, start) };

  const bot = await deps.db.selectFrom('bots').select(['policy', 'deleted_at']).where('id', '=', c.bot_id).executeTakeFirst();
  if (!bot || bot.deleted_at) {
    await deps.db.transaction().execute((trx) => cancelCampaign(trx, ctx, c, 'bot_deleted'));
    return { outcome: 'canceled', after: null };
  }
  if (c.status !== 'sending') {
    await deps.db.updateTable('campaigns').set({ status: 'sending', started_at: sql`coalesce(started_at, now())`, updated_at: new Date() }).where('id', '=', c.id).where('status', 'in', ['scheduled', 'queued']).execute();
  }
  const number = await pickNumber(deps.db, c.account_id, { botId: c.bot_id, phone: '' });
  if (!number) return failRest(deps, ctx, c);
  await deliverAll(deps, await leftoverSms(deps.db, c.id));

  const template = parseTemplate(c.message);
  const ageGate = effectivePolicy(bot.policy).age_gate;
  const bucket = rateBucket(number.phone_number);
  // One batch is sent while the next is claimed: the claim's transaction holds one connection and the
  // sends wait on the provider, so overlapping them keeps both busy.
  let sending: Promise<void> = Promise.resolve();
  try {
    const began = Date.now();
    const slice = sliceMs(deps.config.JOB_EXPIRE_SECONDS);
    while (Date.now() - began < slice) {
      if (lease.lost) return { outcome: 'busy', after: null };
      const now = campaignNow();
      const slots = await takeSlots(deps.db, bucket, now, Math.min(BATCH, c.rate_per_second), c.rate_per_second);
      if (!slots.granted) {
        await sleep(Math.max(20, untilNextWindow(now)));
        continue;
      }
      const batch = await claimBatch(deps, ctx, c, { now, claim: BATCH, slots: slots.granted, template, ageGate, from: number.phone_number });
      await giveBack(deps.db, bucket, slots.window, slots.granted - batch.queued.length);
      if (batch.stopped) return { outcome: 'canceled', after: null };
      await sending;
      if (!batch.claimed) return await idle(deps, ctx, c.id, now);
      sending = deliverAll(deps, batch.queued);
    }
    return { outcome: 'continued', after: 0 };
  } finally {
    await sending; // deliverAll stores failures rather than throwing
  }
}

/** Nothing due: the campaign is done, waits for quiet hours to end, or another run holds the due rows. */
async function idle(deps: AppDeps, ctx: ServiceContext, campaignId: string, now: Date): Promise<Step> {
  const left = await deps.db
    .selectFrom('campaign_recipients')
    .select([sql<number>`count(*)::int`.as('pending'), sql<Date | null>`min(not_before) filter (where not_before > ${now})`.as('next')])
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .executeTakeFirstOrThrow();
  if (!left.pending) {
    // Texts whose send's outcome a dead run lost: settled with the provider (those not sent are queued again).
    await reconcileSms(deps, { campaignId });
    await deliverAll(deps, await leftoverSms(deps.db, campaignId));
    // A row still queued (a database error on its send): not done yet, and no send job would take it.
    if ((await leftoverSms(deps.db, campaignId)).length) return { outcome: 'continued', after: 5 };
    // Lost outcomes too young to settle: every recipient is texted (or not) before the campaign is done.
    if (await unsettledSms(deps.db, campaignId)) return { outcome: 'continued', after: 5 };
    const done = await deps.db.transaction().execute((trx) => completeCampaign(trx, ctx, campaignId));
    return { outcome: done ? 'completed' : 'canceled', after: null };
  }
  if (left.next) return { outcome: 'deferred', after: secondsUntil(new Date(left.next), now) };
  return { outcome: 'continued', after: 1 };
}

/** The bot has no SMS number any more: what is left cannot be sent from it, so it fails and the campaign ends. */
async function failRest(deps: AppDeps, ctx: ServiceContext, c: CampaignRow): Promise<Step> {
  deps.log.warn({ campaign_id: c.id, bot_id: c.bot_id }, 'campaign bot has no SMS number; remaining recipients fail');
  // Rows a previous run left queued: the send service cancels them (no_sms_number) rather than leave them queued.
  await deliverAll(deps, await leftoverSms(deps.db, c.id));
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('campaign_recipients').set({ state: 'failed', reason: 'no_sms_number', updated_at: new Date() }).where('campaign_id', '=', c.id).where('state', '=', 'pending').execute();
    await completeCampaign(trx, ctx, c.id);
  });
  return { outcome: 'completed', after: null };
}

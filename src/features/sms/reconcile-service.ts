import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import { smsProviderFor } from '../../providers/sms/index.js';
import type { SentSms } from '../../providers/sms/port.js';
import { SMS_SEND_JOB, type SmsRow } from './send-service.js';
import { fromSendStatus } from './statuses.js';
import { applyStatus } from './status-service.js';

/**
 * Lost send outcomes, settled with the provider. deliverSms claims a row (queued → sending) and only
 * then calls the provider, so a process killed in between, or whose answer from the provider was lost
 * (a crash, a database error on the write), leaves the row `sending` with no provider id: the text may
 * or may not have gone. Rather than guess (sending again risks a duplicate, never sending loses it),
 * the sweep asks the provider: a message it holds is recorded as the send would have recorded it
 * (campaign counts, delivery reports by the provider's id); none, and the row goes back to `queued`
 * with a new send job, so it is sent once. A row the provider still cannot account for a day after it
 * was made (the provider down that long, or the number moved to another provider) is given up:
 * failed as `outcome_unknown`, never sent again, so a campaign waiting on it can complete.
 */

export const SMS_RECONCILE_JOB = 'sms.reconcile';

/**
 * How long after its claim a row without the provider's id is taken as lost. Far longer than any send
 * can last (the adapters give up on the provider after 15 s, then one write), so a send that is merely
 * slow has settled, one way or the other, before the sweep asks about it; also covers clock skew
 * between the process that claimed the row (updated_at from its clock) and the database's now().
 */
export const LOST_SEND_MARGIN_SECONDS = 60;
/** How long a lost send may stay unknown before it is given up (failed, not sent again). */
export const GIVE_UP_AFTER_MS = 24 * 3600_000;
const GIVEN_UP = {
  errorCode: 'outcome_unknown',
  errorMessage: 'The provider could not say whether it took this text; it is not sent again, to avoid sending it twice.',
};
/** Rows taken per batch; the lease below keeps them from other sweepers while the provider is asked. */
const BATCH = 50;
/** Batches per run at most: the cron comes back each minute for the rest. */
const MAX_BATCHES = 20;
/** The provider's clock against ours when asking for messages since the row was created. */
const CLOCK_SLACK_MS = 5 * 60_000;

export interface ReconcileResult {
  /** Found at the provider and recorded. */
  found: number;
  /** Not at the provider: queued again. */
  requeued: number;
  /** The provider could not say: left for the next sweep. */
  unknown: number;
  /** The provider could not say for a day: failed. */
  given_up: number;
}

/** Rows with a lost outcome (of one campaign when given), old enough or not. */
const lostRows = (db: Database, campaignId?: string) =>
  db
    .selectFrom('sms_messages')
    .where('direction', '=', 'outbound')
    .where('status', '=', 'sending')
    .where('provider_message_id', 'is', null)
    .$if(campaignId !== undefined, (q) => q.where('campaign_id', '=', campaignId!));

/** How many of the campaign's texts have a lost outcome still to settle (the campaign is not done while any has). */
export async function unsettledSms(db: Database, campaignId: string): Promise<number> {
  const row = await lostRows(db, campaignId).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One sweep: every row lost for longer than the margin (of one campaign when given), a batch at a time. */
export async function reconcileSms(deps: AppDeps, opts: { campaignId?: string } = {}): Promise<ReconcileResult> {
  const result: ReconcileResult = { found: 0, requeued: 0, unknown: 0, given_up: 0 };
  for (let i = 0; i < MAX_BATCHES; i++) {
    const rows = await leaseBatch(deps, opts.campaignId);
    for (const row of rows) {
      const outcome = await settle(deps, row);
      result[outcome === 'unknown' && Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS ? await giveUp(deps, row) : outcome]++;
    }
    if (rows.length < BATCH) break;
  }
  if (result.found || result.requeued || result.given_up) deps.log.info({ ...result, campaign_id: opts.campaignId ?? null }, 'lost sms sends settled with the provider');
  return result;
}

/**
 * Takes a batch of lost rows (`for update skip locked`: two sweepers take different ones) and stamps
 * their updated_at with the database's now() to the millisecond: a lease, since the rows no longer
 * look lost to another sweeper for the margin, and the stamp every later write checks, so a sweeper
 * that was too slow (its lease taken over) changes nothing.
 */
async function leaseBatch(deps: AppDeps, campaignId?: string): Promise<SmsRow[]> {
  return deps.db
    .updateTable('sms_messages')
    .set({ updated_at: sql<Date>`date_trunc('milliseconds', now())` })
    .where('id', 'in', () =>
      lostRows(deps.db, campaignId)
        .select('id')
        .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${LOST_SEND_MARGIN_SECONDS})`)
        .orderBy('updated_at')
        .limit(BATCH)
        .forUpdate()
        .skipLocked(),
    )
    // Checked again on the locked row: a send's answer or a report may have landed meanwhile.
    .where('status', '=', 'sending')
    .where('provider_message_id', 'is', null)
    .returningAll()
    .execute();
}

async function settle(deps: AppDeps, row: SmsRow): Promise<keyof ReconcileResult> {
  const number = await deps.db.selectFrom('phone_numbers').selectAll().where('phone_number', '=', row.from_number).where('account_id', '=', row.account_id).executeTakeFirst();
  const port = smsProviderFor(deps.config, number ?? null);
  if (port.provider !== row.provider) {
    // Who took (or not) the text cannot be asked any more (the number moved provider or is gone).
    deps.log.warn({ sms_id: row.id, provider: row.provider, now: port.provider }, 'lost sms send: its provider cannot be asked');
    return 'unknown';
  }
  let candidates: SentSms[];
  try {
    candidates = await port.findSent({ from: row.from_number, to: row.to_number, body: row.body, reference: row.id, since: new Date(row.created_at.getTime() - CLOCK_SLACK_MS) });
  } catch (err) {
    deps.log.warn({ err, sms_id: row.id, provider: row.provider }, 'lost sms send: the provider could not be asked');
    return 'unknown';
  }
  const known = candidates.length
    ? new Set(
        (await deps.db.selectFrom('sms_messages').select('provider_message_id').where('provider', '=', row.provider).where('provider_message_id', 'in', candidates.map((c) => c.providerMessageId)).execute()).map(
          (r) => r.provider_message_id,
        ),
      )
    : new Set<string | null>();
  // A message of the same text to the same person that another row already owns (a second "OK") is not ours.
  const sent = candidates.find((c) => !known.has(c.providerMessageId));
  return sent ? recordFound(deps, row, sent) : requeue(deps, row);
}

/** As deliverSms records the provider's answer: the id first, then the status through the forward-only rule. */
async function recordFound(deps: AppDeps, row: SmsRow, sent: SentSms): Promise<keyof ReconcileResult> {
  if (!(await updateUnchanged(deps.db, row, { provider_message_id: sent.providerMessageId }))) return 'unknown';
  const status = fromSendStatus(sent.status);
  if (status !== 'sending') await applyStatus(systemContext(deps, row.account_id), { match: { id: row.id }, status });
  return 'found';
}

/** Back to `queued` with a send job, in one transaction: deliverSms's claim then sends it once. */
async function requeue(deps: AppDeps, row: SmsRow): Promise<keyof ReconcileResult> {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await updateUnchanged(trx, row, { status: 'queued' }))) return 'unknown';
    // Only keyword answers (the STOP confirmation, HELP; send key `keyword:` in inbound-job.ts) were queued to reach an opted-out number.
    const allowOptedOut = row.send_key?.startsWith('keyword:') === true;
    await deps.jobs.send(SMS_SEND_JOB, { sms_id: row.id, allow_opted_out: allowOptedOut }, { trx });
    return 'requeued';
  });
}

/** Failed through the forward-only rule (message.failed, campaign counts), only as the sweep leased it. */
async function giveUp(deps: AppDeps, row: SmsRow): Promise<keyof ReconcileResult> {
  const failed = await applyStatus(systemContext(deps, row.account_id), { match: { id: row.id }, status: 'failed', ...GIVEN_UP, onlyIfLostSince: row.updated_at });
  if (!failed) return 'unknown';
  deps.log.warn({ sms_id: row.id, provider: row.provider, campaign_id: row.campaign_id }, 'lost sms send given up: its outcome stayed unknown');
  return 'given_up';
}

/** Updates the row only as the sweep read it (still `sending`, no provider id, untouched since): another sweep or a late answer wins. */
function updateUnchanged(q: Database, row: SmsRow, set: { provider_message_id: string } | { status: 'queued' }) {
  return q
    .updateTable('sms_messages')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', row.id)
    .where('status', '=', 'sending')
    .where('provider_message_id', 'is', null)
    .where('updated_at', '=', row.updated_at)
    .returning('id')
    .executeTakeFirst();
}

import { sql, type Transaction } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import type { DB, RecipientState } from '../../db/schema.js';
import { deliverSms, queueSmsMany, type OutboundSms } from '../sms/send-service.js';
import type { CampaignRow } from './campaign-view.js';
import { sendKeyOf } from './lifecycle.js';
import { nextSendTime } from './quiet-hours.js';
import type { SkipReason } from './schemas.js';
import { renderTemplate, type Template } from './template.js';

/** Provider calls in flight at once per dispatcher: hides the provider's latency without flooding the pool. */
export const SEND_CONCURRENCY = 16;
/**
 * A campaign's SMS rows are queued without the send service's per-row `sms.send` job: the dispatcher
 * sends them itself right after its batch commits, and what a dispatcher that died (or hit a database
 * error) left `queued` is sent by the next one (leftoverSms in lifecycle.ts, at the start of every slice and before
 * the campaign completes; the sweep and the backup dispatch job start one). A campaign canceled
 * meanwhile gets send jobs for those rows (lifecycle.ts), as sent is sent.
 */

export interface BatchPlan {
  now: Date;
  /** Rows to lock and look at. */
  claim: number;
  /** Of those, how many may be sent (the rate slots taken). */
  slots: number;
  template: Template;
  ageGate: boolean;
  /** The number the campaign texts from (the rate is counted on it). */
  from: string;
}

export interface BatchResult {
  /** The campaign is no longer active (canceled): nothing was claimed. */
  stopped: boolean;
  /** Due recipients looked at. */
  claimed: number;
  /** SMS rows queued by this batch, to be sent now. */
  queued: string[];
}

interface Change {
  id: string;
  state: RecipientState;
  reason?: string | null;
  notBefore?: Date | null;
  smsId?: string | null;
}

interface Recipient {
  end_user_id: string;
  phone: string | null;
  name: string | null;
  attributes: Record<string, unknown>;
  opted_out: boolean;
  blocked: boolean;
  age_verified: boolean;
  suppressed: string | null;
}

/** Why a recipient is not texted, looked at when their turn comes (a STOP since the campaign was created counts). */
function skipReason(u: Recipient, ageGate: boolean): SkipReason | null {
  if (!u.phone) return 'no_phone';
  if (u.blocked) return 'blocked';
  if (u.opted_out) return 'opted_out';
  if (u.suppressed) return 'suppressed';
  if (ageGate && !u.age_verified) return 'age_gate';
  return null;
}

/**
 * One transaction: locks due pending recipients (`for update skip locked`, so concurrent dispatchers
 * take different ones), decides each (skip, defer to the end of quiet hours, or send), queues the SMS
 * of those sent through the send service (their sms_messages rows, under the campaign's send keys,
 * commit with the recipients' new state: a recipient is pending or has its one SMS, never in between)
 * and records every decision with one UPDATE. The campaign row is read in share mode first, so a
 * cancel either waits for the batch or the batch sees it.
 */
export async function claimBatch(deps: AppDeps, ctx: ServiceContext, c: CampaignRow, plan: BatchPlan): Promise<BatchResult> {
  return deps.db.transaction().execute(async (trx) => {
    const live = await trx.selectFrom('campaigns').select('status').where('id', '=', c.id).forShare().executeTakeFirst();
    if (live?.status !== 'sending') return { stopped: true, claimed: 0, queued: [] };
    const rows: Recipient[] = await trx
      .selectFrom('campaign_recipients as r')
      .innerJoin('end_users as u', 'u.id', 'r.end_user_id')
      .leftJoin('suppressions as s', (j) => j.onRef('s.phone', '=', 'u.phone').on('s.account_id', '=', c.account_id))
      .select(['r.end_user_id', 'u.phone', 'u.name', 'u.attributes', 'u.opted_out', 'u.blocked', 'u.age_verified', 's.phone as suppressed'])
      .where('r.campaign_id', '=', c.id)
      .where('r.state', '=', 'pending')
      .where((eb) => eb.or([eb('r.not_before', 'is', null), eb('r.not_before', '<=', plan.now)]))
      .limit(plan.claim)
      .forUpdate(['r'])
      .skipLocked()
      .execute();

    const changes: Change[] = [];
    const sends: Array<{ change: Change; sms: OutboundSms }> = [];
    let slots = plan.slots;
    for (const u of rows) {
      const reason = skipReason(u, plan.ageGate);
      if (reason) {
        changes.push({ id: u.end_user_id, state: 'skipped', reason });
        continue;
      }
      const at = c.quiet_hours ? nextSendTime(u.phone!, plan.now) : plan.now;
      if (at.getTime() > plan.now.getTime()) {
        changes.push({ id: u.end_user_id, state: 'pending', notBefore: at });
        continue;
      }
      if (slots === 0) continue; // stays pending, unchanged: the next window takes it
      const body = renderTemplate(plan.template, u);
      if (!body) {
        changes.push({ id: u.end_user_id, state: 'failed', reason: 'empty_message' });
        continue;
      }
      slots--;
      const change: Change = { id: u.end_user_id, state: 'queued' };
      changes.push(change);
      sends.push({ change, sms: { botId: c.bot_id, to: u.phone!, body, sendKey: sendKeyOf(c.id, u.end_user_id), endUserId: u.end_user_id, campaignId: c.id, from: plan.from } });
    }
    // All the batch's rows in one INSERT; no per-row send job (see above).
    const smsRows = await queueSmsMany(trx, ctx, sends.map((s) => s.sms), { sendJob: false });
    const queued: string[] = [];
    smsRows.forEach((sms, i) => {
      sends[i]!.change.smsId = sms.id;
      if (sms.status === 'queued') queued.push(sms.id);
    });
    await applyChanges(trx, c.id, changes);
    return { stopped: false, claimed: rows.length, queued };
  });
}

/** Every decision of a batch in one statement. */
async function applyChanges(trx: Transaction<DB>, campaignId: string, changes: Change[]): Promise<void> {
  if (!changes.length) return;
  const values = sql.join(changes.map((ch) => sql`(${ch.id}, ${ch.state}, ${ch.reason ?? null}, ${ch.notBefore?.toISOString() ?? null}, ${ch.smsId ?? null})`));
  await sql`
    update campaign_recipients as r
    set state = v.state, reason = v.reason, not_before = v.not_before::timestamptz, sms_message_id = v.sms_id, updated_at = now()
    from (values ${values}) as v (end_user_id, state, reason, not_before, sms_id)
    where r.campaign_id = ${campaignId} and r.end_user_id = v.end_user_id
  `.execute(trx);
}

/**
 * Sends queued SMS through the send service, SEND_CONCURRENCY at a time. deliverSms claims each row
 * (queued → sending) before calling the provider, so a row a send job or another dispatcher sends
 * at the same moment still goes out once. Provider refusals are stored by deliverSms, not thrown.
 */
export async function deliverAll(deps: AppDeps, smsIds: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < smsIds.length) {
      const id = smsIds[next++]!;
      try {
        await deliverSms(deps, id);
      } catch (err) {
        // A database error: the row stays queued and the dispatcher tries it again (leftoverSms).
        deps.log.error({ err, sms_id: id }, 'campaign send failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, smsIds.length) }, worker));
}

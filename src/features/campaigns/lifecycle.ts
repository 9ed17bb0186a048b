import { sql, type Transaction } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { emitEvent } from '../../core/events.js';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { campaignCounts, type CampaignRow } from './campaign-view.js';
import { campaignNow } from './clock.js';
import { SMS_SEND_JOB } from '../sms/send-service.js';

/** A canceled campaign's rows still queued are sent by a job this long after the cancel. */
const LEFTOVER_SEND_DELAY_SECONDS = 60;

export const ACTIVE_STATUSES = ['scheduled', 'queued', 'sending'] as const;

/** No dispatcher run holds the campaign, or the one that does has not beaten its heartbeat for `staleSeconds`. */
export const noLiveDispatcher = (staleSeconds: number) => sql<boolean>`(dispatcher_id is null or heartbeat_at < now() - make_interval(secs => ${staleSeconds}))`;

/** The send key of a recipient's SMS: the send service keeps one row per key, so it is texted once. */
export const sendKeyOf = (campaignId: string, endUserId: string) => `campaign:${campaignId}:${endUserId}`;

async function finished(trx: Transaction<DB>, ctx: ServiceContext, c: CampaignRow, status: 'completed' | 'canceled', extra: Record<string, unknown> = {}) {
  const counts = await campaignCounts(trx, c.id, campaignNow());
  await emitEvent(trx, ctx, 'campaign.finished', { campaign_id: c.id, bot_id: c.bot_id, status, counts, ...extra });
}

/**
 * Cancels an active campaign: recipients not handed to the SMS sender yet are canceled; those already
 * handed over stay as they are (sent is sent). Runs under the campaign's row lock, which a dispatcher's
 * batch holds in share mode: no batch queues a message after this commits.
 */
export async function cancelCampaign(trx: Transaction<DB>, ctx: ServiceContext, c: CampaignRow, reason: 'requested' | 'bot_deleted'): Promise<CampaignRow> {
  const now = new Date();
  const row = await trx.updateTable('campaigns').set({ status: 'canceled', canceled_at: now, updated_at: now }).where('id', '=', c.id).returningAll().executeTakeFirstOrThrow();
  await trx.updateTable('campaign_recipients').set({ state: 'canceled', updated_at: now }).where('campaign_id', '=', c.id).where('state', '=', 'pending').execute();
  // Handed over but still queued (campaign rows carry no send job of their own: the dispatcher sends
  // them, and no dispatcher runs for a canceled campaign): a send job each, after the live dispatcher
  // (if any) has had its turn. The send service's claim sends each once whoever comes first.
  for (const id of await leftoverSms(trx, c.id)) await ctx.jobs.send(SMS_SEND_JOB, { sms_id: id, allow_opted_out: false }, { trx, startAfterSeconds: LEFTOVER_SEND_DELAY_SECONDS });
  await finished(trx, ctx, row, 'canceled', { reason });
  return row;
}

/** Completes the campaign when none of its recipients is pending; false when some still are (or it is not active). */
export async function completeCampaign(trx: Transaction<DB>, ctx: ServiceContext, campaignId: string): Promise<boolean> {
  const now = new Date();
  const row = await trx
    .updateTable('campaigns')
    .set({ status: 'completed', completed_at: now, updated_at: now })
    .where('id', '=', campaignId)
    .where('status', 'in', ['queued', 'sending'])
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('campaign_recipients').select(sql`1`.as('one')).where('campaign_id', '=', campaignId).where('state', '=', 'pending'))),
    )
    .returningAll()
    .executeTakeFirst();
  if (row) await finished(trx, ctx, row, 'completed');
  return Boolean(row);
}

/** SMS rows of the campaign still queued: left by a dispatcher that died (or hit a database error) after its batch committed. */
export async function leftoverSms(q: Database | Transaction<DB>, campaignId: string): Promise<string[]> {
  const rows = await q
    .selectFrom('campaign_recipients as r')
    .innerJoin('sms_messages as m', 'm.id', 'r.sms_message_id')
    .select('m.id')
    .where('r.campaign_id', '=', campaignId)
    .where('r.state', '=', 'queued')
    .where('m.status', '=', 'queued')
    .execute();
  return rows.map((r) => r.id);
}

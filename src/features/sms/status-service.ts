import { sql, type Selectable } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import type { SmsMessagesTable } from '../../db/schema.js';
import { emitEvent } from '../../core/events.js';
import type { SmsStatus } from '../../providers/sms/port.js';
import { optOutPhone } from './opt-out-service.js';
import { FINAL_STATUSES, rankOf } from './statuses.js';

/** Twilio's "attempt to send to unsubscribed recipient": the person replied STOP to Twilio directly. */
const TWILIO_UNSUBSCRIBED = '21610';

export interface StatusMatch {
  /** Our row id: from the send itself, Twilio's callback URL, or Sinch's client_reference. */
  id?: string | null;
  provider?: string;
  providerMessageId?: string | null;
}

export interface StatusChange {
  match: StatusMatch;
  status: SmsStatus;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** Only while nothing was handed to a provider (a send refused at send time). */
  onlyIfQueued?: boolean;
  /** Only while the row is as a reconcile sweep leased it: no provider id, untouched since this time. */
  onlyIfLostSince?: Date;
}

type SmsRow = Selectable<SmsMessagesTable>;

/**
 * Moves an outbound SMS forward (statuses.ts): one conditional update, so reports that arrive twice
 * or out of order, from any process, can never move a final status back. A change emits
 * message.delivered or message.failed; Twilio's 21610 opts the number out of the account. Returns
 * the row when it changed.
 */
export async function applyStatus(ctx: ServiceContext, change: StatusChange): Promise<SmsRow | null> {
  const { match } = change;
  const rank = rankOf(change.status);
  return ctx.db.transaction().execute(async (trx) => {
    let q = trx
      .updateTable('sms_messages')
      .set({
        status: change.status,
        error_code: sql`coalesce(${change.errorCode ?? null}, error_code)`,
        error_message: sql`coalesce(${change.errorMessage ?? null}, error_message)`,
        // A report matched by our id (it beat the send's answer) brings the provider's id with it.
        ...(match.providerMessageId ? { provider_message_id: sql<string>`coalesce(provider_message_id, ${match.providerMessageId})` } : {}),
        updated_at: new Date(),
      })
      .where('direction', '=', 'outbound')
      .where('status', 'not in', [...FINAL_STATUSES])
      .where(sql<boolean>`(case status when 'queued' then 0 when 'sending' then 1 when 'sent' then 2 else 3 end) < ${rank}`);
    if (change.onlyIfQueued) q = q.where('status', '=', 'queued');
    if (change.onlyIfLostSince) q = q.where('provider_message_id', 'is', null).where('updated_at', '=', change.onlyIfLostSince);
    if (match.provider && match.providerMessageId) {
      const { provider, providerMessageId: pmid } = match;
      // By the provider's id, or by ours while the send's answer (with their id) is not recorded yet.
      q = q.where((eb) =>
        eb.and([
          eb('provider', '=', provider),
          eb.or([eb('provider_message_id', '=', pmid), ...(match.id ? [eb.and([eb('id', '=', match.id), eb('provider_message_id', 'is', null)])] : [])]),
        ]),
      );
    } else if (match.id) {
      q = q.where('id', '=', match.id);
    } else {
      return null;
    }
    const row = await q.returningAll().executeTakeFirst();
    if (!row) return null;

    const rowCtx = row.account_id === ctx.accountId ? ctx : systemContext(ctx, row.account_id);
    const user = row.end_user_id ? await trx.selectFrom('end_users').select('user_id').where('id', '=', row.end_user_id).executeTakeFirst() : undefined;
    const data = { bot_id: row.bot_id, user_id: user?.user_id ?? null, sms_id: row.id, message_id: row.message_id, campaign_id: row.campaign_id, channel: 'sms', status: row.status, error_code: row.error_code };
    if (row.status === 'delivered') await emitEvent(trx, rowCtx, 'message.delivered', data);
    else if (row.status !== 'sent' && row.status !== 'sending') await emitEvent(trx, rowCtx, 'message.failed', data);
    if (row.provider === 'twilio' && change.errorCode === TWILIO_UNSUBSCRIBED) {
      await optOutPhone(trx, rowCtx, { botId: row.bot_id, phone: row.to_number, reason: 'provider_opt_out' });
    }
    return row;
  });
}

/** A delivery report from a provider's callback (already verified). */
export async function applyDeliveryReport(deps: AppDeps, report: StatusChange): Promise<void> {
  // The account is not known before the row is found; applyStatus switches to the row's.
  await applyStatus(systemContext(deps, ''), report);
}

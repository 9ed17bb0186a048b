import type { Selectable, Transaction } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import type { DB, SmsMessagesTable } from '../../db/schema.js';
import { DomainError, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { systemContext } from '../../core/context.js';
import { ProviderApiError } from '../../providers/provider-api-error.js';
import { smsProviderFor } from '../../providers/sms/index.js';
import type { SmsPort } from '../../providers/sms/port.js';
import { pickNumber } from './numbers.js';
import { recipientHold } from './opt-out-service.js';
import { countSegments } from './segments.js';
import { fromSendStatus } from './statuses.js';
import { applyStatus } from './status-service.js';

/**
 * The one way an SMS leaves sinth (replies, send_sms, operator messages, keyword answers, bulk
 * campaigns): `queueSms` claims a unique send key with an sms_messages row in the caller's
 * transaction and queues the send job; the job's `deliverSms` checks the recipient again at send
 * time, moves the row out of `queued` (the claim: only one attempt ever calls the provider) and
 * records what the provider said. At most once: a send whose outcome was lost in a crash stays
 * `sending` rather than risk a duplicate text.
 */

export const SMS_SEND_JOB = 'sms.send';

export type SmsRow = Selectable<SmsMessagesTable>;

export interface OutboundSms {
  botId: string;
  /** E.164. */
  to: string;
  body: string;
  /**
   * Names the intended message, e.g. `msg:<message id>`, `camp:<campaign id>:<user id>`: a second
   * call with the same key returns the first row and sends nothing.
   */
  sendKey: string;
  endUserId?: string | null;
  /** The conversation message this SMS delivers. */
  messageId?: string | null;
  campaignId?: string | null;
  /** Send from this number when it is one of the bot's (a reply goes out from the number the user texted). */
  from?: string | null;
  /** Only keyword answers (the STOP confirmation, HELP) may reach an opted-out number; never a blocked user. */
  allowOptedOut?: boolean;
}

/** No SMS number routes to the bot: nothing can be sent. */
export const noSmsRoute = (param?: string) => unprocessable('no_sms_number', 'The bot has no phone number with SMS enabled; assign one first (assign_phone_number).', param);

/**
 * Stores the outbound SMS as `queued` and queues its send, both in `trx` (so it exists exactly when
 * the caller's change commits). Throws no_sms_number (422) when the bot has no SMS number. Callers
 * that answer an API request check `recipientHold` first for a clear error; the job checks again.
 */
export async function queueSms(trx: Transaction<DB>, ctx: ServiceContext, sms: OutboundSms, opts: { startAfterSeconds?: number } = {}): Promise<SmsRow> {
  const existing = () => trx.selectFrom('sms_messages').selectAll().where('send_key', '=', sms.sendKey).executeTakeFirst();
  const before = await existing();
  if (before) return before;
  const number = await pickNumber(trx, ctx.accountId, { botId: sms.botId, phone: sms.to, from: sms.from ?? null });
  if (!number) throw noSmsRoute();
  const { encoding, segments } = countSegments(sms.body);
  const row = await trx
    .insertInto('sms_messages')
    .values({
      id: newId('sms'),
      account_id: ctx.accountId,
      bot_id: sms.botId,
      end_user_id: sms.endUserId ?? null,
      message_id: sms.messageId ?? null,
      campaign_id: sms.campaignId ?? null,
      direction: 'outbound',
      from_number: number.phone_number,
      to_number: sms.to,
      body: sms.body,
      provider: smsProviderFor(ctx.config, number).provider,
      status: 'queued',
      segments,
      encoding,
      send_key: sms.sendKey,
    })
    // Another transaction claimed the key meanwhile: theirs is the send.
    .onConflict((oc) => oc.column('send_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) return (await existing())!;
  const delay = Math.ceil(opts.startAfterSeconds ?? 0);
  await ctx.jobs.send(SMS_SEND_JOB, { sms_id: row.id, allow_opted_out: sms.allowOptedOut === true }, { trx, ...(delay > 0 ? { startAfterSeconds: delay } : {}) });
  return row;
}

/** Where the provider reports delivery; the Twilio URL names our row, so a report that beats the send's answer still finds it. */
function statusCallbackUrl(deps: AppDeps, port: SmsPort, smsId: string): string | null {
  const base = deps.config.PUBLIC_URL?.replace(/\/+$/, '');
  if (!base) return null;
  if (port.provider === 'twilio') return `${base}/webhooks/twilio/sms-status?sms_id=${smsId}`;
  if (port.provider === 'sinch') return `${base}/webhooks/sinch/sms`;
  return null;
}

/**
 * The send job: sends a queued row once. Returns the row as it ends up (or null when it is gone).
 * Provider failures are stored (status failed, the provider's code), not thrown: retrying a refused
 * text does not help, and a text that may have gone out must not go twice.
 */
export async function deliverSms(deps: AppDeps, smsId: string, opts: { allowOptedOut?: boolean } = {}): Promise<SmsRow | null> {
  const row = await deps.db.selectFrom('sms_messages').selectAll().where('id', '=', smsId).executeTakeFirst();
  if (!row || row.direction !== 'outbound' || row.status !== 'queued') return row ?? null;
  const ctx = systemContext(deps, row.account_id);

  // At send time, not only when queued: a STOP or a block may have come in meanwhile (a delayed reply, a campaign).
  const hold = await recipientHold(deps.db, row.account_id, { botId: row.bot_id, phone: row.to_number, endUserId: row.end_user_id });
  const number = await deps.db
    .selectFrom('phone_numbers')
    .selectAll()
    .where('phone_number', '=', row.from_number)
    .where('account_id', '=', row.account_id)
    .where('bot_id', '=', row.bot_id)
    .where('sms', '=', true)
    .executeTakeFirst();
  const refusal = hold === 'blocked' || (hold === 'opted_out' && !opts.allowOptedOut) ? hold : !number ? 'no_sms_number' : null;
  if (refusal) {
    const done = await applyStatus(ctx, { match: { id: row.id }, status: 'canceled', errorCode: refusal, errorMessage: REFUSALS[refusal], onlyIfQueued: true });
    return done ?? row;
  }

  const port = smsProviderFor(deps.config, number!);
  // The claim: whoever moves the row out of `queued` is the only one to call the provider.
  const claimed = await deps.db
    .updateTable('sms_messages')
    .set({ status: 'sending', provider: port.provider, updated_at: new Date() })
    .where('id', '=', row.id)
    .where('status', '=', 'queued')
    .returning('id')
    .executeTakeFirst();
  if (!claimed) return deps.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();

  let sent;
  try {
    sent = await port.send({ from: row.from_number, to: row.to_number, body: row.body, statusCallbackUrl: statusCallbackUrl(deps, port, row.id), reference: row.id });
  } catch (err) {
    const failure = failureOf(err);
    if (err instanceof DomainError) deps.log.warn({ sms_id: row.id, provider: port.provider, code: failure.code }, 'sms refused by the provider');
    else deps.log.error({ err, sms_id: row.id }, 'sms send failed');
    await applyStatus(ctx, { match: { id: row.id }, status: 'failed', errorCode: failure.code, errorMessage: failure.message });
    return deps.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  }
  // The provider id first, then the status through the forward-only rule: a delivery report may have come already.
  await deps.db.updateTable('sms_messages').set({ provider_message_id: sent.providerMessageId, updated_at: new Date() }).where('id', '=', row.id).execute();
  await applyStatus(ctx, { match: { id: row.id }, status: fromSendStatus(sent.status) });
  return deps.db.selectFrom('sms_messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

/** The provider's own code (Twilio 21610, a Sinch code), else ours; never the provider's raw error object. */
function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof ProviderApiError && err.providerCode !== null) return { code: String(err.providerCode), message: err.message.slice(0, 500) };
  if (err instanceof DomainError) return { code: err.code, message: err.message.slice(0, 500) };
  return { code: 'provider_error', message: 'The provider could not be reached.' };
}

const REFUSALS = {
  opted_out: 'The recipient opted out (STOP); nothing was sent.',
  blocked: 'The user is blocked; nothing was sent.',
  no_sms_number: 'The number this text was to go out from no longer routes to the bot.',
} as const;

import { publicBase } from '../../core/public-url.js';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { AppDeps, ServiceContext } from '../../core/context.js';
import type { DB, SmsMessagesTable } from '../../db/schema.js';
import { DomainError, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { systemContext } from '../../core/context.js';
import { ProviderApiError } from '../../providers/provider-api-error.js';
import { smsProviderFor, smsProviderName } from '../../providers/sms/index.js';
import type { SmsPort } from '../../providers/sms/port.js';
import { pickNumber, type NumberRow } from './numbers.js';
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
 * `sending` rather than risk a duplicate text, until the reconcile sweep (reconcile-service.ts) has
 * asked the provider whether it took it.
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

export interface QueueOptions {
  startAfterSeconds?: number;
  /**
   * Queue the `sms.send` job that sends the row (default true). Only a caller that sends the row
   * itself right after its transaction commits, and that finds and sends rows left `queued` after a
   * crash (the campaign dispatcher: leftoverSms), may leave it out.
   */
  sendJob?: boolean;
}

/**
 * Stores the outbound SMS as `queued` and queues its send, both in `trx` (so it exists exactly when
 * the caller's change commits). Throws no_sms_number (422) when the bot has no SMS number. Callers
 * that answer an API request check `recipientHold` first for a clear error; the job checks again.
 */
export async function queueSms(trx: Transaction<DB>, ctx: ServiceContext, sms: OutboundSms, opts: QueueOptions = {}): Promise<SmsRow> {
  const number = await pickNumber(trx, ctx.accountId, { botId: sms.botId, phone: sms.to, from: sms.from ?? null });
  return (await insertQueued(trx, ctx, [sms], () => number, opts))[0]!;
}

/**
 * queueSms for many texts of one bot at once (a campaign batch): one number look-up when they all go
 * out from `from` (one of the bot's SMS numbers wins over any other choice), one INSERT for all the
 * rows, one read-back for send keys already taken. Rows in the order of `list`.
 */
export async function queueSmsMany(trx: Transaction<DB>, ctx: ServiceContext, list: OutboundSms[], opts: QueueOptions = {}): Promise<SmsRow[]> {
  if (!list.length) return [];
  const first = list[0]!;
  const same = list.every((s) => s.botId === first.botId && s.from === first.from);
  if (same && first.from) {
    // A `from` that is one of the bot's SMS numbers is picked whoever the recipient is.
    const number = await pickNumber(trx, ctx.accountId, { botId: first.botId, phone: '', from: first.from });
    if (number?.phone_number === first.from) return insertQueued(trx, ctx, list, () => number, opts);
  }
  const rows: SmsRow[] = [];
  for (const sms of list) rows.push(await queueSms(trx, ctx, sms, opts));
  return rows;
}

async function insertQueued(trx: Transaction<DB>, ctx: ServiceContext, list: OutboundSms[], numberOf: (sms: OutboundSms) => NumberRow | null, opts: QueueOptions): Promise<SmsRow[]> {
  const existing = async (keys: string[]) => {
    const found = keys.length ? await trx.selectFrom('sms_messages').selectAll().where('send_key', 'in', keys).execute() : [];
    return new Map(found.map((r) => [r.send_key!, r]));
  };
  if (list.some((sms) => !numberOf(sms))) {
    // No route: a key already taken still answers with its row; otherwise there is nothing to send from.
    const taken = await existing(list.map((s) => s.sendKey));
    if (list.every((s) => taken.has(s.sendKey))) return list.map((s) => taken.get(s.sendKey)!);
    throw noSmsRoute();
  }
  const inserted = await trx
    .insertInto('sms_messages')
    .values(
      list.map((sms) => {
        const number = numberOf(sms)!;
        const { encoding, segments } = countSegments(sms.body);
        return {
          id: newId('sms'),
          account_id: ctx.accountId,
          bot_id: sms.botId,
          end_user_id: sms.endUserId ?? null,
          message_id: sms.messageId ?? null,
          campaign_id: sms.campaignId ?? null,
          direction: 'outbound' as const,
          from_number: number.phone_number,
          to_number: sms.to,
          body: sms.body,
          provider: smsProviderName(ctx.config, number),
          status: 'queued',
          segments,
          encoding,
          send_key: sms.sendKey,
        };
      }),
    )
    // A key already taken (a repeated call, or another transaction meanwhile): theirs is the send.
    .onConflict((oc) => oc.column('send_key').doNothing())
    .returningAll()
    .execute();
  const rows = new Map(inserted.map((r) => [r.send_key!, r]));
  const missing = list.filter((s) => !rows.has(s.sendKey)).map((s) => s.sendKey);
  if (missing.length) for (const [k, r] of await existing(missing)) rows.set(k, r);
  if (opts.sendJob !== false) {
    const delay = Math.ceil(opts.startAfterSeconds ?? 0);
    const fresh = new Map(inserted.map((r) => [r.send_key!, r]));
    for (const sms of list) {
      const row = fresh.get(sms.sendKey);
      if (!row) continue;
      fresh.delete(sms.sendKey); // one job per row, even when the list names a key twice
      await ctx.jobs.send(SMS_SEND_JOB, { sms_id: row.id, allow_opted_out: sms.allowOptedOut === true }, { trx, ...(delay > 0 ? { startAfterSeconds: delay } : {}) });
    }
  }
  return list.map((s) => rows.get(s.sendKey)!);
}

/** Where the provider reports delivery; the Twilio URL names our row, so a report that beats the send's answer still finds it. */
function statusCallbackUrl(deps: AppDeps, port: SmsPort, smsId: string): string | null {
  const base = publicBase(deps.config);
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
  const allowOptedOut = opts.allowOptedOut === true;
  // The common case in one statement: the claim, taken only when the recipient may be texted now
  // (no block; no opt-out or suppression unless allowed) and the from number still routes to the bot.
  let claimed = await claimSendable(deps, smsId, allowOptedOut);
  if (!claimed) {
    // Not claimable as it stands: already taken, not ours to send, or to be refused. Looked at closely.
    const row = await deps.db.selectFrom('sms_messages').selectAll().where('id', '=', smsId).executeTakeFirst();
    if (!row || row.direction !== 'outbound' || row.status !== 'queued') return row ?? null;
    const ctx = systemContext(deps, row.account_id);
    // At send time, not only when queued: a STOP or a block may have come in meanwhile (a delayed reply, a campaign).
    const hold = await recipientHold(deps.db, row.account_id, { botId: row.bot_id, phone: row.to_number, endUserId: row.end_user_id });
    const number = await routeOf(deps, row);
    const refusal = hold === 'blocked' || (hold === 'opted_out' && !allowOptedOut) ? hold : !number ? 'no_sms_number' : null;
    if (refusal) {
      const done = await applyStatus(ctx, { match: { id: row.id }, status: 'canceled', errorCode: refusal, errorMessage: REFUSALS[refusal], onlyIfQueued: true });
      return done ?? (await readRow(deps, row.id)) ?? row;
    }
    // Sendable after all (the recipient or the number changed in between): the claim as above.
    claimed = await claimSendable(deps, smsId, allowOptedOut);
    if (!claimed) return (await readRow(deps, row.id)) ?? row;
  }
  const { row, number } = claimed;
  const ctx = systemContext(deps, row.account_id);

  const port = smsProviderFor(deps.config, number);
  if (port.provider !== row.provider) {
    // The number's provider changed since the row was queued: the row names who really sends it (delivery reports match on it).
    await deps.db.updateTable('sms_messages').set({ provider: port.provider }).where('id', '=', row.id).where('status', '=', 'sending').execute();
  }
  let sent;
  try {
    sent = await port.send({ from: row.from_number, to: row.to_number, body: row.body, statusCallbackUrl: statusCallbackUrl(deps, port, row.id), reference: row.id });
  } catch (err) {
    const failure = failureOf(err);
    if (err instanceof DomainError) deps.log.warn({ sms_id: row.id, provider: port.provider, code: failure.code }, 'sms refused by the provider');
    else deps.log.error({ err, sms_id: row.id }, 'sms send failed');
    const done = await applyStatus(ctx, { match: { id: row.id }, status: 'failed', errorCode: failure.code, errorMessage: failure.message });
    return done ?? readRow(deps, row.id);
  }
  const status = fromSendStatus(sent.status);
  if (status === 'sending') {
    // The usual answer (accepted, queued at the provider): the row is `sending` already, and a later
    // report can only have moved it further, so the provider's id is all there is to record.
    const done = await deps.db.updateTable('sms_messages').set({ provider_message_id: sent.providerMessageId, updated_at: new Date() }).where('id', '=', row.id).returningAll().executeTakeFirst();
    return done ?? null;
  }
  // The provider id first, then the status through the forward-only rule: a delivery report may have come already.
  await deps.db.updateTable('sms_messages').set({ provider_message_id: sent.providerMessageId, updated_at: new Date() }).where('id', '=', row.id).execute();
  const done = await applyStatus(ctx, { match: { id: row.id }, status });
  return done ?? readRow(deps, row.id);
}

const readRow = async (deps: AppDeps, id: string): Promise<SmsRow | null> => (await deps.db.selectFrom('sms_messages').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;

/** The bot's SMS number the row goes out from, or undefined when it no longer routes to the bot. */
const routeOf = (deps: AppDeps, row: SmsRow) =>
  deps.db
    .selectFrom('phone_numbers')
    .selectAll()
    .where('phone_number', '=', row.from_number)
    .where('account_id', '=', row.account_id)
    .where('bot_id', '=', row.bot_id)
    .where('sms', '=', true)
    .executeTakeFirst();

const NUMBER_COLUMNS = ['id', 'account_id', 'phone_number', 'provider', 'source', 'bot_id', 'sms', 'voice', 'provider_sid', 'twilio_account_sid', 'twilio_auth_token_enc', 'created_at', 'updated_at'] as const;

/**
 * The claim (queued → sending; whoever moves the row out of `queued` is the only one to call the
 * provider), in one statement with the send-time checks: the row's from number still routes SMS to
 * its bot, and no blocked user (nor, unless allowed, an opted-out user or a suppression of the
 * number) stands in the way, the same rule as recipientHold. Null: not claimed.
 */
async function claimSendable(deps: AppDeps, smsId: string, allowOptedOut: boolean): Promise<{ row: SmsRow; number: NumberRow } | null> {
  const got = await deps.db
    .updateTable('sms_messages as m')
    .from('phone_numbers as n')
    .set({ status: 'sending', updated_at: new Date() })
    .where('m.id', '=', smsId)
    .where('m.direction', '=', 'outbound')
    .where('m.status', '=', 'queued')
    .whereRef('n.phone_number', '=', 'm.from_number')
    .whereRef('n.account_id', '=', 'm.account_id')
    .whereRef('n.bot_id', '=', 'm.bot_id')
    .where('n.sms', '=', true)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('end_users as u')
            .select(sql`1`.as('one'))
            .whereRef('u.bot_id', '=', 'm.bot_id')
            .where((w) => w.or([w('u.id', '=', w.ref('m.end_user_id')), w('u.phone', '=', w.ref('m.to_number'))]))
            .where((w) => (allowOptedOut ? w('u.blocked', '=', true) : w.or([w('u.blocked', '=', true), w('u.opted_out', '=', true)]))),
        ),
      ),
    )
    .$if(!allowOptedOut, (q) =>
      q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('suppressions as s').select(sql`1`.as('one')).whereRef('s.account_id', '=', 'm.account_id').whereRef('s.phone', '=', 'm.to_number')))),
    )
    .returningAll('m')
    .returning(NUMBER_COLUMNS.map((c) => `n.${c} as n_${c}` as const))
    .executeTakeFirst();
  if (!got) return null;
  const g = got as unknown as Record<string, unknown>;
  const number = Object.fromEntries(NUMBER_COLUMNS.map((c) => [c, g[`n_${c}`]])) as unknown as NumberRow;
  const row = Object.fromEntries(Object.entries(g).filter(([k]) => !k.startsWith('n_'))) as unknown as SmsRow;
  return { row, number };
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

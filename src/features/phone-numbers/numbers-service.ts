import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { isUniqueViolation } from '../../core/db-errors.js';
import { conflict, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { toE164 } from '../../core/phone.js';
import { inTransaction } from '../../core/transaction.js';
import { ProviderApiError } from '../../providers/provider-api-error.js';
import { loadBot } from '../bots/bot-access.js';
import { assertWithinLimit } from '../billing/limits.js';
import { findNumber, isAbandoned, loadAccountNumber, notAvailable, requireTwilio } from './number-access.js';
import { toPhoneNumber } from './number-view.js';
import type { AssignNumberInput, DetachNumberInput, GetPhoneNumbersQuery } from './schemas.js';

/** The account's numbers, whatever their provider: listing, routing to a bot, detaching and letting go. */

export async function getPhoneNumbers({ ctx, input }: { ctx: ServiceContext; input: GetPhoneNumbersQuery }) {
  if (input.bot_id) await loadBot(ctx, input.bot_id);
  const after = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('phone_numbers').selectAll().where('account_id', '=', ctx.accountId).orderBy('id').limit(input.limit + 1);
  if (input.bot_id) q = q.where('bot_id', '=', input.bot_id);
  if (after) q = q.where('id', '>', after);
  return toPage((await q.execute()).map(toPhoneNumber), input.limit, (n) => n.number_id);
}

/**
 * Routes a number to a bot (a number has one bot: assigning it elsewhere moves it). With provider
 * "sinch" or "sandbox" the number is registered for the account first if it is not yet one of its numbers.
 */
export async function assignPhoneNumber({ ctx, input }: { ctx: ServiceContext; input: AssignNumberInput }) {
  const phone = toE164(input.phone_number, 'phone_number');
  if (input.provider === 'sinch' || input.provider === 'sandbox') return registerNumber(ctx, input, phone, input.provider);
  return inTransaction(ctx, async (trx) => {
    const bot = await loadBot(ctx, input.bot_id, { q: trx });
    const row = await loadAccountNumber(ctx, trx, phone);
    if (input.provider && row.provider !== input.provider) {
      throw conflict('provider_mismatch', `${phone} is a ${row.provider} number; leave provider out or set it to "${row.provider}".`, 'provider');
    }
    const updated = await trx
      .updateTable('phone_numbers')
      .set({ bot_id: bot.id, sms: input.sms ?? row.sms, voice: input.voice ?? row.voice, updated_at: new Date() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: 'phone_number.assigned', objectType: 'phone_number', objectId: row.id, details: { bot_id: bot.id, previous_bot_id: row.bot_id, sms: updated.sms, voice: updated.voice } });
    return toPhoneNumber(updated);
  });
}

/** Which Sinch products this server can use; a Sinch number needs at least one. */
function sinchChannels(ctx: ServiceContext) {
  const c = ctx.config;
  const sms = Boolean(c.SINCH_SMS_SERVICE_PLAN_ID && c.SINCH_SMS_API_TOKEN);
  const voice = Boolean(c.SINCH_APPLICATION_KEY && c.SINCH_APPLICATION_SECRET);
  if (!sms && !voice) {
    throw unprocessable('sinch_not_configured', 'Sinch is not configured on this server: set SINCH_SMS_SERVICE_PLAN_ID and SINCH_SMS_API_TOKEN (SMS) or SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET (voice).', 'provider');
  }
  return { sms, voice };
}

/** What a registered number can do: a Sinch number what Sinch is configured for; a sandbox number texts (it has no calls). */
function registrableChannels(ctx: ServiceContext, input: AssignNumberInput, provider: 'sinch' | 'sandbox') {
  if (provider === 'sandbox') {
    if (input.voice) throw unprocessable('sandbox_has_no_voice', 'A sandbox number only texts: send voice: false or leave it out.', 'voice');
    return { sms: true, voice: false };
  }
  const configured = sinchChannels(ctx);
  if (input.sms && !configured.sms) throw unprocessable('sinch_sms_not_configured', 'Sinch SMS is not configured: set SINCH_SMS_SERVICE_PLAN_ID and SINCH_SMS_API_TOKEN, or send sms: false.', 'sms');
  if (input.voice && !configured.voice) throw unprocessable('sinch_voice_not_configured', 'Sinch Voice is not configured: set SINCH_APPLICATION_KEY and SINCH_APPLICATION_SECRET, or send voice: false.', 'voice');
  return configured;
}

async function registerNumber(ctx: ServiceContext, input: AssignNumberInput, phone: string, provider: 'sinch' | 'sandbox') {
  try {
    return await inTransaction(ctx, async (trx) => {
      const bot = await loadBot(ctx, input.bot_id, { q: trx });
      // After the bot: another account's bot is a 404 before any configuration error.
      const configured = registrableChannels(ctx, input, provider);
      const existing = await findNumber(trx, phone);
      const mine = existing?.account_id === ctx.accountId;
      if (mine && existing.provider !== provider) {
        throw conflict('provider_mismatch', `${phone} is a ${existing.provider} number of yours; leave provider out to assign it.`, 'provider');
      }
      // An abandoned import or registration may be registered again; anything else is held.
      if (existing && !mine && !isAbandoned(existing)) throw notAvailable(phone);
      if (!mine) await assertWithinLimit(trx, ctx, 'phone_numbers');
      const values = {
        account_id: ctx.accountId,
        provider,
        source: provider,
        bot_id: bot.id,
        sms: input.sms ?? (mine ? existing.sms : configured.sms),
        voice: input.voice ?? (mine ? existing.voice : configured.voice),
        provider_sid: null,
        twilio_account_sid: null,
        twilio_auth_token_enc: null,
        updated_at: new Date(),
      };
      const row = existing
        ? await trx
            .updateTable('phone_numbers')
            .set(values)
            .where('id', '=', existing.id)
            .where((eb) => (mine ? eb('account_id', '=', ctx.accountId) : eb('account_id', 'is', null)))
            .returningAll()
            .executeTakeFirst()
        : await trx.insertInto('phone_numbers').values({ id: newId('num'), phone_number: phone, ...values }).returningAll().executeTakeFirst();
      if (!row) throw notAvailable(phone);
      await writeAudit(trx, ctx, { action: mine ? 'phone_number.assigned' : 'phone_number.registered', objectType: 'phone_number', objectId: row.id, details: { provider, bot_id: bot.id, previous_bot_id: existing?.bot_id ?? null, sms: row.sms, voice: row.voice } });
      return toPhoneNumber(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw notAvailable(phone);
    throw err;
  }
}

const result = (row: { id: string; phone_number: string }, r: { released?: boolean; returned_to_pool?: boolean; removed?: boolean }) => ({
  number_id: row.id,
  phone_number: row.phone_number,
  bot_id: null,
  released: r.released ?? false,
  returned_to_pool: r.returned_to_pool ?? false,
  removed: r.removed ?? false,
});

/**
 * Stops routing a number to a bot. A rented number goes back to the pool. With `release`, a purchased
 * number is released at Twilio and an imported or Sinch one leaves sinth (its stored credentials with
 * it; the customer's Twilio or Sinch account is not touched).
 */
export async function detachPhoneNumber({ ctx, input }: { ctx: ServiceContext; input: DetachNumberInput }) {
  const phone = toE164(input.phone_number, 'phone_number');
  if (input.release) {
    const current = await ctx.db.selectFrom('phone_numbers').selectAll().where('phone_number', '=', phone).where('account_id', '=', ctx.accountId).executeTakeFirst();
    if (current?.source === 'purchased') return releasePurchased(ctx, current);
  }
  return inTransaction(ctx, async (trx) => {
    const row = await loadAccountNumber(ctx, trx, phone);
    const audit = (action: string) => writeAudit(trx, ctx, { action, objectType: 'phone_number', objectId: row.id, details: { phone_number: phone, previous_bot_id: row.bot_id } });
    if (row.source === 'pool') {
      await trx.updateTable('phone_numbers').set({ account_id: null, bot_id: null, updated_at: new Date() }).where('id', '=', row.id).execute();
      await audit('phone_number.returned_to_pool');
      return result(row, { returned_to_pool: true, removed: true });
    }
    if (input.release) {
      await trx.deleteFrom('phone_numbers').where('id', '=', row.id).execute();
      await audit('phone_number.removed');
      return result(row, { removed: true });
    }
    await trx.updateTable('phone_numbers').set({ bot_id: null, updated_at: new Date() }).where('id', '=', row.id).execute();
    await audit('phone_number.detached');
    return result(row, {});
  });
}

/** Releases a purchased number at Twilio (outside the transaction: no lock waits on the network), then forgets it. */
async function releasePurchased(ctx: ServiceContext, row: { id: string; phone_number: string; provider_sid: string | null; bot_id: string | null }) {
  const port = requireTwilio(ctx.config);
  const sid = row.provider_sid ?? (await port.findOwned(row.phone_number))?.sid;
  if (sid) {
    try {
      await port.release(sid);
    } catch (err) {
      // Already gone at Twilio (released there, or by a concurrent call): what was asked is done.
      if (!(err instanceof ProviderApiError && err.httpStatus === 404)) throw err;
    }
  }
  return inTransaction(ctx, async (trx) => {
    await trx.deleteFrom('phone_numbers').where('id', '=', row.id).where('account_id', '=', ctx.accountId).execute();
    await writeAudit(trx, ctx, { action: 'phone_number.released', objectType: 'phone_number', objectId: row.id, details: { phone_number: row.phone_number, previous_bot_id: row.bot_id } });
    return result(row, { released: true, removed: true });
  });
}

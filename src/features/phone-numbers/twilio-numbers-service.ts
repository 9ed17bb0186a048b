import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { isUniqueViolation } from '../../core/db-errors.js';
import { conflict, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { toE164 } from '../../core/phone.js';
import { inTransaction } from '../../core/transaction.js';
import { accountNumbers } from '../../providers/numbers/index.js';
import { ProviderApiError } from '../../providers/provider-api-error.js';
import { sealTwilioToken } from '../../providers/twilio-client.js';
import { loadBot } from '../bots/bot-access.js';
import { assertWithinLimit } from '../billing/limits.js';
import { toAvailableNumber, toPhoneNumber, toPoolNumber } from './number-view.js';
import { findNumber, isAbandoned, notAvailable, requireTwilio, requireWebhooks } from './number-access.js';
import type { ImportNumberInput, PoolQuery, PurchaseNumberInput, RentNumberInput, SearchNumbersQuery } from './schemas.js';

/**
 * Numbers on Twilio: search and buy on the platform's account, rent from its pool, import from the
 * customer's own account. Provider calls happen before the transaction that records the result (a
 * transaction never waits on the network); the one that buys a number gives it back if recording fails.
 */

/** A number some account holds (or an abandoned import) cannot be bought, rented or imported again. */
function refuseTaken(ctx: ServiceContext, row: { account_id: string | null } | undefined, phone: string): void {
  if (!row) return;
  if (row.account_id === ctx.accountId) throw conflict('number_exists', `${phone} is already one of your numbers.`, 'phone_number');
  throw notAvailable(phone);
}

export async function searchTwilioNumbers({ ctx, input }: { ctx: ServiceContext; input: SearchNumbersQuery }) {
  const port = requireTwilio(ctx.config);
  try {
    const found = await port.search({ country: input.country, type: input.type, areaCode: input.area_code, contains: input.contains, sms: input.sms, voice: input.voice, limit: input.limit });
    return { data: found.map(toAvailableNumber), next_cursor: null };
  } catch (err) {
    // Twilio answers 404 for a country (or type) it has no numbers in.
    if (err instanceof ProviderApiError && err.httpStatus === 404) {
      throw unprocessable('numbers_not_offered', `Twilio offers no ${input.type} numbers in ${input.country}.`, 'country');
    }
    throw err;
  }
}

/** Numbers the platform's account owns that no account holds now. */
export async function getPoolNumbers({ ctx, input }: { ctx: ServiceContext; input: PoolQuery }) {
  const owned = await requireTwilio(ctx.config).listOwned();
  const held = await ctx.db
    .selectFrom('phone_numbers')
    .select('phone_number')
    .where('account_id', 'is not', null)
    .where('phone_number', 'in', owned.length ? owned.map((n) => n.phoneNumber) : [''])
    .execute();
  const taken = new Set(held.map((r) => r.phone_number));
  const free = owned.filter((n) => !taken.has(n.phoneNumber)).sort((a, b) => a.phoneNumber.localeCompare(b.phoneNumber));
  return { data: free.slice(0, input.limit).map(toPoolNumber), next_cursor: null };
}

export async function purchaseTwilioNumber({ ctx, input }: { ctx: ServiceContext; input: PurchaseNumberInput }) {
  const phone = toE164(input.phone_number, 'phone_number');
  if (input.bot_id) await loadBot(ctx, input.bot_id);
  const port = requireTwilio(ctx.config);
  const hooks = requireWebhooks(ctx.config);
  refuseTaken(ctx, await findNumber(ctx.db, phone), phone);
  // Before buying too: a number bought and then refused would cost money for nothing.
  await assertWithinLimit(ctx.db, ctx, 'phone_numbers');

  let bought;
  try {
    bought = await port.purchase(phone, hooks);
  } catch (err) {
    // 21422: not available (any more); 21452: none left in that area; 21421: not a number Twilio sells.
    if (err instanceof ProviderApiError && [21421, 21422, 21452].includes(Number(err.providerCode))) throw notAvailable(phone);
    throw err;
  }
  try {
    return await inTransaction(ctx, async (trx) => {
      if (input.bot_id) await loadBot(ctx, input.bot_id, { q: trx });
      // Again where the number is recorded (its lock serialises one account's purchases): a refusal gives the number back below.
      await assertWithinLimit(trx, ctx, 'phone_numbers');
      const row = await trx
        .insertInto('phone_numbers')
        .values({ id: newId('num'), account_id: ctx.accountId, phone_number: phone, provider: 'twilio', source: 'purchased', bot_id: input.bot_id ?? null, sms: bought.capabilities.sms, voice: bought.capabilities.voice, provider_sid: bought.sid })
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeAudit(trx, ctx, { action: 'phone_number.purchased', objectType: 'phone_number', objectId: row.id, details: { phone_number: phone, bot_id: row.bot_id } });
      return toPhoneNumber(row);
    });
  } catch (err) {
    // Bought but not recorded (over the limit after all, or a failure): give it back rather than pay for a number nobody can see.
    await port.release(bought.sid).catch((releaseErr: unknown) => ctx.log.error({ phone_number: phone, err: String(releaseErr) }, 'could not release a number bought but not recorded'));
    if (isUniqueViolation(err)) throw notAvailable(phone);
    throw err;
  }
}

export async function rentTwilioNumber({ ctx, input }: { ctx: ServiceContext; input: RentNumberInput }) {
  const phone = toE164(input.phone_number, 'phone_number');
  if (input.bot_id) await loadBot(ctx, input.bot_id);
  const port = requireTwilio(ctx.config);
  const hooks = requireWebhooks(ctx.config);
  const existing = await findNumber(ctx.db, phone);
  const inPool = await port.findOwned(phone);
  if (!inPool || (existing && existing.account_id !== null)) {
    if (existing?.account_id === ctx.accountId) throw conflict('number_exists', `${phone} is already one of your numbers.`, 'phone_number');
    throw conflict('number_not_in_pool', `${phone} is not in the pool of numbers to rent (see get_number_from_pool).`, 'phone_number');
  }
  await assertWithinLimit(ctx.db, ctx, 'phone_numbers');
  // Point the number here before recording the rental: a rented number that does not reach us is useless.
  const set = await port.setWebhooks(inPool.sid, hooks);
  try {
    return await inTransaction(ctx, async (trx) => {
      if (input.bot_id) await loadBot(ctx, input.bot_id, { q: trx });
      // Again where the rental is recorded, serialised with the account's other ones (the check above only spares a wasted call).
      await assertWithinLimit(trx, ctx, 'phone_numbers');
      const values = { account_id: ctx.accountId, provider: 'twilio' as const, source: 'pool' as const, bot_id: input.bot_id ?? null, sms: set.capabilities.sms, voice: set.capabilities.voice, provider_sid: set.sid, twilio_account_sid: null, twilio_auth_token_enc: null, updated_at: new Date() };
      // A free row (returned to the pool, or its account gone) is taken over only while still free.
      const row = existing
        ? await trx.updateTable('phone_numbers').set(values).where('id', '=', existing.id).where('account_id', 'is', null).returningAll().executeTakeFirst()
        : await trx.insertInto('phone_numbers').values({ id: newId('num'), phone_number: phone, ...values }).returningAll().executeTakeFirst();
      if (!row) throw conflict('number_not_in_pool', `${phone} was just rented by someone else.`, 'phone_number');
      await writeAudit(trx, ctx, { action: 'phone_number.rented', objectType: 'phone_number', objectId: row.id, details: { phone_number: phone, bot_id: row.bot_id } });
      return toPhoneNumber(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('number_not_in_pool', `${phone} was just rented by someone else.`, 'phone_number');
    throw err;
  }
}

/**
 * Brings the customer's own Twilio number: the credentials are checked by finding the number in that
 * account, its webhooks pointed here, and the token stored sealed (core/secrets.ts). Importing it
 * again updates the credentials (a rotated token).
 */
export async function importTwilioNumber({ ctx, input }: { ctx: ServiceContext; input: ImportNumberInput }) {
  const phone = toE164(input.phone_number, 'phone_number');
  const hooks = requireWebhooks(ctx.config);
  const existing = await findNumber(ctx.db, phone);
  const reimport = existing?.account_id === ctx.accountId && existing.source === 'imported';
  if (!reimport && !isAbandoned(existing)) refuseTaken(ctx, existing, phone);
  if (!reimport) await assertWithinLimit(ctx.db, ctx, 'phone_numbers');

  const port = accountNumbers(ctx.config, { accountSid: input.account_sid, authToken: input.auth_token });
  let found;
  try {
    found = await port.findOwned(phone);
  } catch (err) {
    if (err instanceof ProviderApiError && (err.httpStatus === 401 || err.httpStatus === 403 || err.httpStatus === 404)) {
      throw unprocessable('invalid_twilio_credentials', 'Twilio did not accept this account_sid and auth_token.', 'auth_token');
    }
    throw err;
  }
  if (!found) throw unprocessable('number_not_in_twilio_account', `${phone} is not a number of Twilio account ${input.account_sid}.`, 'phone_number');
  await port.setWebhooks(found.sid, hooks);

  try {
    return await inTransaction(ctx, async (trx) => {
      if (!reimport) await assertWithinLimit(trx, ctx, 'phone_numbers');
      const id = existing?.id ?? newId('num');
      const values = {
        account_id: ctx.accountId,
        provider: 'twilio' as const,
        source: 'imported' as const,
        provider_sid: found.sid,
        twilio_account_sid: input.account_sid,
        twilio_auth_token_enc: sealTwilioToken(ctx.config, id, input.auth_token),
        updated_at: new Date(),
      };
      const row = existing
        ? await trx
            .updateTable('phone_numbers')
            .set(reimport ? values : { ...values, bot_id: null, sms: found.capabilities.sms, voice: found.capabilities.voice })
            .where('id', '=', id)
            .where((eb) => (reimport ? eb('account_id', '=', ctx.accountId) : eb('account_id', 'is', null)))
            .returningAll()
            .executeTakeFirst()
        : await trx.insertInto('phone_numbers').values({ id, phone_number: phone, sms: found.capabilities.sms, voice: found.capabilities.voice, ...values }).returningAll().executeTakeFirst();
      if (!row) throw notAvailable(phone);
      await writeAudit(trx, ctx, { action: reimport ? 'phone_number.reimported' : 'phone_number.imported', objectType: 'phone_number', objectId: row.id, details: { phone_number: phone } });
      return toPhoneNumber(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw notAvailable(phone);
    throw err;
  }
}

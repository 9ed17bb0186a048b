import { sql, type Transaction } from 'kysely';
import type { DB, EndUserRow } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { emitEvent } from '../../core/events.js';
import { newId } from '../../core/ids.js';

/**
 * The bot's end user with this phone number, created on first contact with the number as user_id.
 * A number on the account's suppression list starts opted out: an erased or new user record never
 * turns into permission to text someone who said STOP.
 */
export async function findOrCreatePhoneUser(trx: Transaction<DB>, ctx: ServiceContext, botId: string, phone: string): Promise<EndUserRow> {
  const existing = await trx.selectFrom('end_users').selectAll().where('bot_id', '=', botId).where('phone', '=', phone).executeTakeFirst();
  if (existing) return existing;
  const now = new Date();
  const suppressed = await trx.selectFrom('suppressions').select('phone').where('account_id', '=', ctx.accountId).where('phone', '=', phone).executeTakeFirst();
  // A user whose user_id is the number but who has no phone yet (created through the API) gets it.
  const { inserted, ...user } = await trx
    .insertInto('end_users')
    .values({
      id: newId('usr'),
      account_id: ctx.accountId,
      bot_id: botId,
      user_id: phone,
      phone,
      attributes: '{}',
      opted_out: Boolean(suppressed),
      opted_out_at: suppressed ? now : null,
      first_seen_at: now,
      last_seen_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['bot_id', 'user_id']).doUpdateSet({ phone: sql`coalesce(end_users.phone, excluded.phone)`, updated_at: now }))
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  if (inserted) await emitEvent(trx, ctx, 'user.created', { bot_id: botId, user_id: user.user_id });
  return user as EndUserRow;
}

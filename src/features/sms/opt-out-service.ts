import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { emitEvent } from '../../core/events.js';

/**
 * Opt-outs are per account and per number, shared by SMS and calls: one `suppressions` row, checked by
 * every send. The end users with that number (in any of the account's bots) are flagged too, so
 * get_users shows it; a revocation applies across a sender's programmes (telephony.md §4).
 *
 * `changed` tells whether this bot's user or the account learnt something new: a repeated STOP
 * changes nothing and is not confirmed again.
 */
export async function optOutPhone(trx: Transaction<DB>, ctx: ServiceContext, at: { botId: string; phone: string; reason: string }): Promise<{ changed: boolean }> {
  const now = new Date();
  const added = await trx
    .insertInto('suppressions')
    .values({ account_id: ctx.accountId, phone: at.phone, reason: at.reason })
    .onConflict((oc) => oc.columns(['account_id', 'phone']).doNothing())
    .returning('phone')
    .executeTakeFirst();
  const flagged = await trx
    .updateTable('end_users')
    .set({ opted_out: true, opted_out_at: now, updated_at: now })
    .where('account_id', '=', ctx.accountId)
    .where('phone', '=', at.phone)
    .where('opted_out', '=', false)
    .returning(['id', 'bot_id', 'user_id'])
    .execute();
  for (const u of flagged) {
    await emitEvent(trx, ctx, 'user.opted_out', { bot_id: u.bot_id, user_id: u.user_id, channel: 'sms', reason: at.reason });
    // The internal id only: the caller's user_id may itself be a phone number.
    await writeAudit(trx, ctx, { action: 'user.opted_out', objectType: 'user', objectId: u.id, details: { bot_id: u.bot_id, reason: at.reason } });
  }
  return { changed: Boolean(added) || flagged.some((u) => u.bot_id === at.botId) };
}

/**
 * START/UNSTOP/YES from an opted-out user: the account's suppression of the number goes and this
 * bot's user is subscribed again. Users of the account's other bots stay opted out until they
 * opt in there too: re-subscribing to one sender is not consent to the others.
 */
export async function optInPhone(trx: Transaction<DB>, ctx: ServiceContext, at: { botId: string; endUserId: string; phone: string }): Promise<{ changed: boolean }> {
  const removed = await trx.deleteFrom('suppressions').where('account_id', '=', ctx.accountId).where('phone', '=', at.phone).returning('phone').executeTakeFirst();
  const user = await trx
    .updateTable('end_users')
    .set({ opted_out: false, opted_out_at: null, updated_at: new Date() })
    .where('id', '=', at.endUserId)
    .where('opted_out', '=', true)
    .returning(['id', 'user_id'])
    .executeTakeFirst();
  if (user) {
    await emitEvent(trx, ctx, 'user.opted_in', { bot_id: at.botId, user_id: user.user_id, channel: 'sms' });
    await writeAudit(trx, ctx, { action: 'user.opted_in', objectType: 'user', objectId: user.id, details: { bot_id: at.botId } });
  }
  return { changed: Boolean(removed) || Boolean(user) };
}

/** Why a number may not be messaged by this bot now, or null. Blocked wins: a blocked user gets nothing at all. */
export async function recipientHold(
  q: Transaction<DB> | ServiceContext['db'],
  accountId: string,
  at: { botId: string; phone: string; endUserId?: string | null },
): Promise<'blocked' | 'opted_out' | null> {
  // One query: the account's suppression of the number, and the bot's users it may be (an aggregate: always one row).
  const held = await q
    .selectFrom('end_users')
    .select((eb) => [
      sql<boolean>`coalesce(bool_or(blocked), false)`.as('blocked'),
      sql<boolean>`coalesce(bool_or(opted_out), false)`.as('opted_out'),
      eb.exists(eb.selectFrom('suppressions').select(sql`1`.as('one')).where('suppressions.account_id', '=', accountId).where('suppressions.phone', '=', at.phone)).as('suppressed'),
    ])
    .where('bot_id', '=', at.botId)
    .where((eb) => (at.endUserId ? eb.or([eb('id', '=', at.endUserId), eb('phone', '=', at.phone)]) : eb('phone', '=', at.phone)))
    .executeTakeFirstOrThrow();
  if (held.blocked) return 'blocked';
  if (held.suppressed || held.opted_out) return 'opted_out';
  return null;
}

import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Database } from '../../db/database.js';
import type { NumberRow } from '../../providers/sms/index.js';

export type { NumberRow };
type Q = Database | Transaction<DB>;

/**
 * The bot's number to text `phone` from: a `from` the caller asked for when it is one of the bot's SMS
 * numbers, else the number this person last texted (so a reply comes from where they wrote), else
 * the bot's oldest SMS number. Null: the bot has no SMS route.
 */
export async function pickNumber(q: Q, accountId: string, at: { botId: string; phone: string; from?: string | null }): Promise<NumberRow | null> {
  const lastTexted = q
    .selectFrom('sms_messages')
    .select('to_number')
    .where('bot_id', '=', at.botId)
    .where('direction', '=', 'inbound')
    .where('from_number', '=', at.phone)
    .orderBy('id', 'desc')
    .limit(1);
  return (
    (await q
      .selectFrom('phone_numbers')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('bot_id', '=', at.botId)
      .where('sms', '=', true)
      .orderBy(sql`phone_numbers.phone_number = ${at.from ?? null}`, (ob) => ob.desc().nullsLast())
      .orderBy(sql`phone_numbers.phone_number = (${lastTexted})`, (ob) => ob.desc().nullsLast())
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst()) ?? null
  );
}

/** The number a provider delivered a message (or a call) to, when it routes texts (or calls) to a live bot. */
export async function routedNumber(q: Q, provider: 'twilio' | 'sinch' | 'sandbox', phone: string, capability: 'sms' | 'voice' = 'sms') {
  return q
    .selectFrom('phone_numbers as n')
    .innerJoin('bots as b', 'b.id', 'n.bot_id')
    .selectAll('n')
    .where('n.phone_number', '=', phone)
    .where('n.provider', '=', provider)
    .where(`n.${capability}`, '=', true)
    .where('n.account_id', 'is not', null)
    .where('b.deleted_at', 'is', null)
    .whereRef('b.account_id', '=', 'n.account_id')
    .executeTakeFirst();
}

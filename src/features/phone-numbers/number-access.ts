import type { Transaction } from 'kysely';
import type { Config } from '../../config.js';
import type { ServiceContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { conflict, notFound, unprocessable } from '../../core/errors.js';
import { platformNumbers, twilioWebhooks, type NumbersPort, type NumberWebhooks } from '../../providers/numbers/index.js';

type Q = Database | Transaction<DB>;

/** The row of this number whoever holds it (numbers are unique across accounts), for availability checks. */
export function findNumber(q: Q, phone: string) {
  return q.selectFrom('phone_numbers').selectAll().where('phone_number', '=', phone).executeTakeFirst();
}

export const notAvailable = (phone: string) => conflict('number_not_available', `${phone} is not available.`, 'phone_number');

/** An import or Sinch/sandbox registration whose account is gone: it holds the number for no one, and may be taken again. */
export const isAbandoned = (row: { account_id: string | null; source: string } | undefined) =>
  row?.account_id === null && (row.source === 'imported' || row.source === 'sinch' || row.source === 'sandbox');

/** The account's number, locked for the change; another account's number is a 404 like a missing one. */
export async function loadAccountNumber(ctx: ServiceContext, trx: Transaction<DB>, phone: string) {
  const row = await trx.selectFrom('phone_numbers').selectAll().where('phone_number', '=', phone).where('account_id', '=', ctx.accountId).forUpdate().executeTakeFirst();
  if (!row) throw notFound('phone number', 'phone_number');
  return row;
}

/** The platform's Twilio account; without one the Twilio endpoints answer so, never a pretend success. */
export function requireTwilio(config: Config): NumbersPort {
  const port = platformNumbers(config);
  if (!port) throw unprocessable('twilio_not_configured', 'Twilio is not configured on this server: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.');
  return port;
}

/** A number whose webhooks cannot point here would take no messages or calls. */
export function requireWebhooks(config: Config): NumberWebhooks {
  const hooks = twilioWebhooks(config);
  if (!hooks) throw unprocessable('public_url_not_configured', 'PUBLIC_URL is not set, so Twilio could not reach this server: set it to the address Twilio calls back.');
  return hooks;
}

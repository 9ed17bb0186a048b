import type { AppDeps } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import type { NumberRow } from './numbers.js';
import { countSegments } from './segments.js';

export const SMS_INBOUND_JOB = 'sms.inbound';

/** An inbound SMS/MMS as the webhooks hand it over: verified, in our words, every field still untrusted text. */
export interface InboundSms {
  provider: 'twilio' | 'sinch' | 'sandbox';
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
  /** Stored as given, never fetched by sinth (they can point anywhere). */
  mediaUrls: string[];
}

/**
 * Stores an inbound message for the bot its number routes to and queues its handling, in one
 * transaction. Providers retry: the (provider, provider id) unique index makes a second delivery of
 * the same message a no-op, so it is stored and answered once. Returns the stored row's id, or null
 * for such a second delivery.
 */
export async function receiveInboundSms(deps: AppDeps, number: NumberRow & { account_id: string; bot_id: string }, sms: InboundSms): Promise<string | null> {
  const { encoding, segments } = countSegments(sms.body);
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('sms_messages')
      .values({
        id: newId('sms'),
        account_id: number.account_id,
        bot_id: number.bot_id,
        direction: 'inbound',
        from_number: sms.from,
        to_number: number.phone_number,
        body: sms.body,
        media_urls: JSON.stringify(sms.mediaUrls),
        provider: sms.provider,
        provider_message_id: sms.providerMessageId,
        // `receiving` until the job has handled it (its claim), then `received`.
        status: 'receiving',
        segments,
        encoding,
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_message_id']).where('provider_message_id', 'is not', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) return null;
    await deps.jobs.send(SMS_INBOUND_JOB, { sms_id: row.id }, { trx });
    return row.id;
  });
}

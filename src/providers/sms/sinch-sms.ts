import { SinchClient } from '@sinch/sdk-core';
import type { Config } from '../../config.js';
import { ProviderApiError } from '../provider-api-error.js';
import { sinchFailure, sinchTimeoutPlugin } from '../sinch-client.js';
import type { OutgoingSms, SentLookup, SentSms, SmsPort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/**
 * SMS through Sinch's REST API (xms v1) on the official SDK, with a service plan id and API token.
 * SINCH_SMS_BASE_URL (a sandbox, or a test's fake) replaces the regional host. Delivery reports come
 * per recipient to the callback URL, carrying our message id as client_reference.
 */

export interface SinchSmsCredentials {
  servicePlanId: string;
  apiToken: string;
  region: string;
  baseUrl: string | null;
}

/** Sinch SMS settings when the plan id and token are both set; the region defaults to us, as the SDK's does. */
export function sinchSmsCredentials(config: Config): SinchSmsCredentials | null {
  if (!config.SINCH_SMS_SERVICE_PLAN_ID || !config.SINCH_SMS_API_TOKEN) return null;
  return {
    servicePlanId: config.SINCH_SMS_SERVICE_PLAN_ID,
    apiToken: config.SINCH_SMS_API_TOKEN,
    region: config.SINCH_SMS_REGION ?? 'us',
    baseUrl: config.SINCH_SMS_BASE_URL ? config.SINCH_SMS_BASE_URL.replace(/\/+$/, '') : null,
  };
}

export function sinchSms(credentials: SinchSmsCredentials): SmsPort {
  const client = new SinchClient({
    servicePlanId: credentials.servicePlanId,
    apiToken: credentials.apiToken,
    smsRegion: credentials.region,
    ...(credentials.baseUrl ? { smsHostname: credentials.baseUrl } : {}),
    requestPlugins: [sinchTimeoutPlugin],
    // The SDK would write to the console; its failures reach callers as ProviderApiError instead.
    logger: null,
  });
  return instrumented('sinch', {
    provider: 'sinch',
    async send(sms: OutgoingSms): Promise<SentSms> {
      let batch: { id?: string };
      try {
        batch = await client.sms.batches.send({
          sendSMSRequestBody: {
            type: 'mt_text',
            to: [sms.to],
            from: sms.from,
            body: sms.body,
            client_reference: sms.reference,
            ...(sms.statusCallbackUrl ? { delivery_report: 'per_recipient', callback_url: sms.statusCallbackUrl } : { delivery_report: 'none' }),
          },
        });
      } catch (err) {
        throw sinchFailure(err, 'SMS');
      }
      if (!batch.id) throw new ProviderApiError('sinch', 'the Sinch SMS API answered without a batch id', null, 201);
      // Accepted into a batch: Sinch reports dispatch and delivery later, per recipient.
      return { providerMessageId: batch.id, status: 'queued' };
    },

    async findSent(lookup: SentLookup): Promise<SentSms[]> {
      // By our reference (sent as client_reference), which names one message; the SDK puts query
      // values in the URL unencoded, so the numbers (with their '+') are compared here, not sent.
      let page: { data: Array<{ id?: string; to?: string[]; from?: string; body?: unknown; canceled?: boolean }> };
      try {
        page = await client.sms.batches.list({ start_date: lookup.since, client_reference: lookup.reference, page_size: 30 });
      } catch (err) {
        throw sinchFailure(err, 'SMS');
      }
      const digits = (n: string | undefined) => (n ?? '').replace(/^\+/, '');
      return page.data
        .filter((b) => b.id && b.body === lookup.body && digits(b.from) === digits(lookup.from) && (b.to ?? []).some((t) => digits(t) === digits(lookup.to)))
        .map((b) => ({ providerMessageId: b.id!, status: b.canceled ? 'canceled' : 'queued' }));
    },
  });
}

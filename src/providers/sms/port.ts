/**
 * Sending SMS through a provider (Twilio, Sinch, or the sandbox). Inbound messages and delivery
 * reports arrive on the webhooks (features/sms); this port only sends.
 */

/** Delivery states, as stored on sms_messages.status (providers' own words are mapped onto these). */
export type SmsStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received' | 'canceled';

export interface OutgoingSms {
  from: string;
  to: string;
  body: string;
  /** Where the provider reports delivery (built from PUBLIC_URL); null: no reports wanted. */
  statusCallbackUrl: string | null;
  /** Our id of the message (sms_messages.id), passed where the provider carries one back. */
  reference: string;
}

export interface SentSms {
  providerMessageId: string;
  status: SmsStatus;
}

export interface SmsPort {
  readonly provider: 'twilio' | 'sinch' | 'sandbox';
  send(sms: OutgoingSms): Promise<SentSms>;
}

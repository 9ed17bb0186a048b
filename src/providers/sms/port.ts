/**
 * Sending SMS through a provider (Twilio, Sinch, or the sandbox), and asking it whether a text was
 * taken after all (the reconcile sweep). Inbound messages and delivery reports arrive on the
 * webhooks (features/sms).
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

/** A text whose send's outcome was lost: what it was, and when it can have reached the provider at the earliest. */
export interface SentLookup {
  from: string;
  to: string;
  body: string;
  /** Our id of the message, as OutgoingSms.reference. */
  reference: string;
  since: Date;
}

export interface SmsPort {
  readonly provider: 'twilio' | 'sinch' | 'sandbox';
  send(sms: OutgoingSms): Promise<SentSms>;
  /**
   * The provider's messages that match the lookup (same from, to and body, or our reference where the
   * provider carries one), newest first; empty when it has none. Throws ProviderApiError when the
   * provider cannot say (the caller must then assume nothing).
   */
  findSent(lookup: SentLookup): Promise<SentSms[]>;
}

import type { SmsStatus } from '../../providers/sms/port.js';
import { ownEntry } from '../../core/own-entry.js';

/**
 * Delivery states of an outbound SMS, in the order they can only move forward:
 *
 *   queued (in our queue, never handed to a provider) → sending (handed over; the provider holds it)
 *   → sent (left the provider for the carrier) → delivered | undelivered | failed | canceled (final).
 *
 * `queued` means exactly "not attempted": the send job claims a row by moving it out of `queued`, so
 * a provider's own "queued"/"accepted" is stored as `sending`. Reports arrive out of order (telephony
 * §3.3); a lower or equal rank never replaces a higher one and a final state is never left.
 */
export const FINAL_STATUSES = ['delivered', 'undelivered', 'failed', 'canceled'] as const satisfies readonly SmsStatus[];
export const SMS_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'canceled', 'receiving', 'received'] as const;
/** The rank a report must exceed to replace the stored status (final states share the top rank). */
export const rankOf = (status: string) => ownEntry({ queued: 0, sending: 1, sent: 2 }, status) ?? 3;

/** Twilio's MessageStatus words; `read` and `partially_delivered` reached the handset. Unknown words: null (ignored). */
const TWILIO: Record<string, SmsStatus> = {
  accepted: 'sending',
  scheduled: 'sending',
  queued: 'sending',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  partially_delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'canceled',
};

/** Sinch delivery report statuses (telephony §2.3); `Unknown` says nothing new. */
const SINCH: Record<string, SmsStatus> = {
  Queued: 'sending',
  Dispatched: 'sent',
  Delivered: 'delivered',
  Failed: 'failed',
  Rejected: 'failed',
  Aborted: 'failed',
  Deleted: 'failed',
  Expired: 'undelivered',
  Cancelled: 'canceled',
};

export const fromTwilioStatus = (word: string): SmsStatus | null => ownEntry(TWILIO, word.toLowerCase()) ?? null;
export const fromSinchStatus = (word: string): SmsStatus | null => ownEntry(SINCH, word) ?? null;

/** What a provider reported on send, stored the same way as its reports. */
export const fromSendStatus = (status: SmsStatus): SmsStatus => (status === 'queued' || status === 'received' ? 'sending' : status);

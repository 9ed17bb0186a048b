import type { Config } from '../../config.js';
import { callTwilio, twilioClient, type TwilioCredentials } from '../twilio-client.js';
import type { OutgoingSms, SentLookup, SentSms, SmsPort, SmsStatus } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';
import { ownEntry } from '../../core/own-entry.js';

/**
 * SMS through Twilio's Messages API on the official SDK, with the platform's account or the account
 * an imported number lives in. Failures become ProviderApiError carrying Twilio's error code
 * (21610: the recipient replied STOP to this sender at Twilio).
 */

/** Twilio's message statuses (API answers and status callbacks) in our words. */
const STATUS: Record<string, SmsStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  receiving: 'received',
  received: 'received',
  canceled: 'canceled',
  partially_delivered: 'sent',
};

/** Maps a Twilio MessageStatus; an unknown one (Twilio adds some) counts as still on its way. */
export function twilioSmsStatus(status: string | null | undefined): SmsStatus {
  return ownEntry(STATUS, (status ?? '').toLowerCase()) ?? 'sending';
}

/** Messages between two numbers read per look-up: far more than can have been sent since a lost send's claim. */
/**
 * Messages between the two numbers looked at, newest first. A busy pair (a bot answering one fan)
 * passes dozens a minute, and the sweep looks a minute or more after the send: 50 missed some.
 */
const LOOKUP_LIMIT = 1000;
const LOOKUP_PAGE = 200;

export function twilioSms(config: Config, credentials: TwilioCredentials): SmsPort {
  const client = twilioClient(config, credentials);
  return instrumented('twilio', {
    provider: 'twilio',
    async send(sms: OutgoingSms): Promise<SentSms> {
      // Twilio carries no client reference on messages: its status callbacks are matched by MessageSid.
      const message = await callTwilio(() =>
        client.messages.create({
          to: sms.to,
          from: sms.from,
          body: sms.body,
          ...(sms.statusCallbackUrl ? { statusCallback: sms.statusCallbackUrl } : {}),
        }),
      );
      return { providerMessageId: message.sid, status: twilioSmsStatus(message.status) };
    },

    async findSent(lookup: SentLookup): Promise<SentSms[]> {
      // No DateSent filter: Twilio sets date_sent only once a message leaves its queue, and a text
      // still queued there (a campaign at the sender's rate) is exactly one that must be found.
      // The newest messages between the two numbers, matched by body and creation time here.
      const messages = await callTwilio(() => client.messages.list({ to: lookup.to, from: lookup.from, pageSize: LOOKUP_PAGE, limit: LOOKUP_LIMIT }));
      return messages
        .filter((m) => m.body === lookup.body && m.direction !== 'inbound' && (!m.dateCreated || m.dateCreated >= lookup.since))
        .map((m) => ({ providerMessageId: m.sid, status: twilioSmsStatus(m.status) }));
    },
  });
}

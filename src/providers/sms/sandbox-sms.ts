import { randomUUID } from 'node:crypto';
import type { SentSms, SmsPort } from './port.js';

/**
 * The provider when none is configured: nothing leaves the machine. The message is stored like any
 * other (sms_messages, the conversation) and shows in the API as delivered, so the whole SMS flow can
 * be tried on `npm start`.
 */
export function sandboxSms(): SmsPort {
  return {
    provider: 'sandbox',
    send: async (): Promise<SentSms> => ({ providerMessageId: `SBX${randomUUID().replaceAll('-', '')}`, status: 'delivered' }),
    // The sandbox keeps no record of its sends (nothing left the machine): a lost outcome is sent again.
    findSent: async (): Promise<SentSms[]> => [],
  };
}

import type { Logger } from 'pino';
import type { EmailPort } from './port.js';

/** Without SMTP_URL: emails are logged (recipients and subject, never the text), not sent. */
export function logEmail(log: Logger): EmailPort {
  return {
    delivery: 'log',
    send: async (email) => {
      log.info({ to: email.to, subject: email.subject }, 'email not sent (SMTP_URL is not set)');
      return { messageId: null };
    },
  };
}

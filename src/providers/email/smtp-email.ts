import { createTransport } from 'nodemailer';
import { EmailError } from './email-error.js';
import type { EmailPort } from './port.js';
import { instrumented } from '../../core/observability/instrument-port.js';

/** Time limits of one SMTP exchange; a notification is retried later rather than held up. */
const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 20_000;

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/**
 * The server's own words (reply code and text) or the connection failure's code, never the URL: it
 * may hold the SMTP password.
 */
function toEmailError(err: unknown): EmailError {
  const e = err as SmtpFailure;
  if (e.responseCode) {
    const reply = (e.response ?? '').replace(/\s+/g, ' ').slice(0, 200);
    return new EmailError(`the server refused the email${e.command ? ` at ${e.command}` : ''}: ${reply || e.responseCode}`, e.responseCode >= 500);
  }
  if (e.code === 'EAUTH') return new EmailError('the server refused the credentials in SMTP_URL', true);
  if (e.code === 'ETIMEDOUT') return new EmailError('the server did not answer in time', false, true, true);
  return new EmailError(`could not talk to the server (${e.code ?? 'connection failed'})`, false, true);
}

/** Nodemailer over SMTP_URL (smtp:// with STARTTLS when offered, or smtps://), from EMAIL_FROM. */
export function smtpEmail(url: string, from: string): EmailPort {
  const transport = createTransport({
    url,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  return instrumented('smtp', {
    delivery: 'smtp',
    send: async (email) => {
      try {
        const info = await transport.sendMail({ from, to: email.to, subject: email.subject, text: email.text });
        return { messageId: info.messageId ?? null };
      } catch (err) {
        throw toEmailError(err);
      }
    },
  });
}

/** Sending notification email: through an SMTP server (SMTP_URL), or only logged when none is configured. */

export interface OutgoingEmail {
  to: string[];
  subject: string;
  /** Plain text; what the account is told, never an end user's message. */
  text: string;
}

export interface SentEmail {
  /** The SMTP server's message id; null when the email was only logged. */
  messageId: string | null;
}

export interface EmailPort {
  /** `smtp`: handed to the server; `log`: written to the log (recipient and subject only), not sent. */
  readonly delivery: 'smtp' | 'log';
  /** Throws EmailError when the server refuses or cannot be reached. */
  send(email: OutgoingEmail): Promise<SentEmail>;
}

import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { logEmail } from './log-email.js';
import type { EmailPort } from './port.js';
import { smtpEmail } from './smtp-email.js';

const ports = new WeakMap<Config, EmailPort>();

/** The email port of this configuration, built once: SMTP when SMTP_URL is set, else the log. */
export function emailFor(deps: { config: Config; log: Logger }): EmailPort {
  let port = ports.get(deps.config);
  if (!port) {
    port = deps.config.SMTP_URL ? smtpEmail(deps.config.SMTP_URL, deps.config.EMAIL_FROM) : logEmail(deps.log);
    ports.set(deps.config, port);
  }
  return port;
}

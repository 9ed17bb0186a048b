import { ProviderError } from '../../core/errors.js';

/**
 * The SMTP server refused an email or could not be reached (a 502/504 naming SMTP). `permanent`: the
 * server said no for good (a 5xx reply, bad credentials), so sending it again would fail the same way.
 * `unreachable`: no server answered, so the next emails would fail the same way too.
 */
export class EmailError extends ProviderError {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly unreachable = false,
    timeout = false,
  ) {
    super('SMTP', message, timeout);
  }
}

import { ProviderError } from '../core/errors.js';

/**
 * A provider's API refused or failed a request. Carries the provider's own error code (Twilio's
 * numeric codes such as 21610 "recipient unsubscribed", Sinch's text codes) so callers can store it
 * and react to it (an opted-out recipient is not retried), and whether trying again may help. The
 * message is the provider's own words with account ids masked; credentials never reach it.
 */
export class ProviderApiError extends ProviderError {
  constructor(
    provider: string,
    message: string,
    /** Twilio: a number (21610); Sinch: a string (syntax_constraint_violation); null for network failures. */
    readonly providerCode: number | string | null,
    /** The provider's HTTP status; null when no answer came. */
    readonly httpStatus: number | null,
    timeout = false,
  ) {
    super(provider, message, timeout);
    this.name = 'ProviderApiError';
  }

  /** Network failures, timeouts, 429 and 5xx may pass on a later attempt; other answers will not. */
  get retryable(): boolean {
    return this.httpStatus === null || this.httpStatus === 429 || this.httpStatus >= 500;
  }
}

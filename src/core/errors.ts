/**
 * Domain errors. Services throw these; they know nothing of HTTP. The one mapping to status codes
 * lives in core/http/error-handler.ts.
 */
export type ErrorType =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'plan_limit'
  | 'too_large'
  | 'unsupported_media'
  | 'unprocessable'
  | 'rate_limited'
  | 'provider_error'
  | 'provider_timeout'
  | 'unavailable'
  | 'internal';

export class DomainError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (param: string, message: string, code = 'invalid_parameter') =>
  new DomainError('invalid_request', code, message, param);
export const unauthenticated = (message: string, code = 'invalid_api_key') =>
  new DomainError('unauthenticated', code, message);
export const forbidden = (message: string, code = 'insufficient_scope') => new DomainError('forbidden', code, message);
/** Also used for another account's objects: never confirm that they exist. */
export const notFound = (what: string, param?: string) =>
  new DomainError('not_found', `${what.replace(/ /g, '_')}_not_found`, `No such ${what}.`, param);
export const conflict = (code: string, message: string, param?: string) =>
  new DomainError('conflict', code, message, param);
export const unprocessable = (code: string, message: string, param?: string) =>
  new DomainError('unprocessable', code, message, param);

export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', 'rate_limited', message);
  }
}

/** A provider (LLM, Twilio, Sinch, Stripe, SMTP) failed or timed out: 502/504 naming it, never its credentials. */
export class ProviderError extends DomainError {
  constructor(
    readonly provider: string,
    message: string,
    timeout = false,
  ) {
    super(timeout ? 'provider_timeout' : 'provider_error', timeout ? 'provider_timeout' : 'provider_error', `${provider}: ${message}`);
  }
}

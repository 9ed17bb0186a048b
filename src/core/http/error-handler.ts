import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../db-errors.js';
import { DomainError, RateLimitedError, type ErrorType } from '../errors.js';
import { formatBytes } from './body-limits.js';

/** The one place domain error types become HTTP status codes. */
export const STATUS_BY_TYPE: Record<ErrorType, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  plan_limit: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  provider_error: 502,
  provider_timeout: 504,
  unavailable: 503,
};

/** PostgreSQL data exceptions caused by input: numeric out of range, bad text encoding, invalid syntax. */
const PG_INPUT_ERRORS = new Set(['22003', '22021', '22P05', '22P02', '22007', '22008']);

export interface ErrorBody {
  error: { type: ErrorType; code: string; message: string; param?: string; request_id: string };
}

export function sendError(reply: FastifyReply, err: DomainError): FastifyReply {
  if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
  if (err.type === 'unavailable') reply.header('retry-after', '1');
  const body: ErrorBody = {
    error: { type: err.type, code: err.code, message: err.message, request_id: String(reply.request.id) },
  };
  if (err.param) body.error.param = err.param;
  return reply.code(STATUS_BY_TYPE[err.type]).type('application/json').send(body);
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

function valueAt(input: unknown, path: string[]): unknown {
  let value = input;
  for (const part of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** Turns the first schema issue into an error that names the parameter and what is wrong with it. */
function fromValidation(issues: ValidationIssue[], where: string | undefined, input: unknown): DomainError {
  const issue = issues[0]!;
  const parts = issue.instancePath.split('/').filter(Boolean);
  const path = parts.join('.');
  if (issue.keyword === 'unrecognized_keys') {
    const keys = (issue.params.keys as string[] | undefined) ?? [];
    const name = [path, keys[0]].filter(Boolean).join('.');
    return new DomainError('invalid_request', 'unknown_parameter', `Unknown parameter: ${name}.`, name);
  }
  if (!path) {
    return new DomainError('invalid_request', 'invalid_body', `The request ${where ?? 'body'} is invalid: ${issue.message}.`);
  }
  // Read the request itself rather than the message, which a schema may have replaced with its own.
  if (valueAt(input, parts) === undefined) {
    return new DomainError('invalid_request', 'missing_parameter', `Missing required parameter: ${path}.`, path);
  }
  return new DomainError('invalid_request', 'invalid_parameter', `Invalid parameter ${path}: ${issue.message}.`, path);
}

function asDomainError(error: FastifyError, request: FastifyRequest): DomainError | null {
  if (error instanceof DomainError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext;
    const input = where === 'querystring' ? request.query : where === 'params' ? request.params : where === 'headers' ? request.headers : request.body;
    return fromValidation(error.validation as unknown as ValidationIssue[], where, input);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError('invalid_request', 'invalid_json', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('too_large', 'body_too_large', `The request body is larger than this endpoint's limit of ${formatBytes(request.routeOptions.bodyLimit)}.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('unsupported_media', 'unsupported_content_type', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DomainError('invalid_request', 'invalid_content_length', 'The Content-Length header does not match the body.');
  }
  if (isDatabaseUnavailable(error)) {
    // A restart or a network cut: nothing was stored unless the transaction committed, and a retry
    // with the same Idempotency-Key is safe.
    return new DomainError('unavailable', 'database_unavailable', 'The database cannot be reached right now; retry shortly.');
  }
  // Values the schemas let through but PostgreSQL cannot take (a last line of defence: a bad value is
  // the caller's error, never a 500).
  const pgCode = (error as { code?: string }).code;
  if (pgCode && PG_INPUT_ERRORS.has(pgCode)) {
    return new DomainError('invalid_request', 'invalid_value', 'A parameter holds a value that cannot be stored (out of range or malformed).');
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new DomainError('invalid_request', 'bad_request', error.message);
  }
  return null;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const domain = asDomainError(error, request);
    if (domain) return sendError(reply, domain);
    // Unknown failures: log the detail, tell the caller only the request id.
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new DomainError('internal', 'internal_error', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new DomainError('not_found', 'unknown_endpoint', `No endpoint ${request.method} ${request.url.split('?')[0]}.`)),
  );
}

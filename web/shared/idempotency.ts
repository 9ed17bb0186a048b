/**
 * Whether a retry of the same request may reuse its Idempotency-Key. Lost connections, 5xx (the server
 * frees the key), 409 (still running) and refusals before the key is claimed (401, 403, 429) are
 * retried with it, so a request the server did take is not run twice; any other answer is stored
 * under the key (src/core/http/idempotency.ts), so a corrected retry needs a new one to be tried afresh.
 */
export function reuseIdempotencyKey(status: number): boolean {
  return status === 0 || status >= 500 || status === 401 || status === 403 || status === 409 || status === 429;
}

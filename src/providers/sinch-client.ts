import type { SinchClient } from '@sinch/sdk-core';
import { ProviderApiError } from './provider-api-error.js';

/** What the Sinch SMS and Voice adapters share: a deadline on every request and one reading of failures. */

export const SINCH_TIMEOUT_MS = 15_000;

// The plugin type lives in @sinch/sdk-client, which is not a direct dependency: take it from the client's options.
type RequestPlugin = NonNullable<NonNullable<ConstructorParameters<typeof SinchClient>[0]>['requestPlugins']>[number];

/** The SDK's fetch (node-fetch 2) has no deadline of its own; this plugin gives every request one. */
export const sinchTimeoutPlugin: RequestPlugin = {
  getName: () => 'sinthTimeout',
  load: () => ({ transform: (options) => ({ ...options, timeout: SINCH_TIMEOUT_MS }) }),
};

/**
 * Any failure of a Sinch SDK call as a ProviderApiError. Sinch's error bodies are `{code, text}` (SMS)
 * or `{errorCode, message}` (Voice); the SDK keeps the body as `data` (text or parsed). Built from
 * chosen fields only, so no request (and no credential) is carried along.
 */
export function sinchFailure(err: unknown, api: 'SMS' | 'Voice'): ProviderApiError {
  const e = err as { statusCode?: unknown; data?: unknown; message?: unknown };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : null;
  if (status) {
    let body: { code?: unknown; text?: unknown; errorCode?: unknown; message?: unknown } = {};
    try {
      body = (typeof e.data === 'string' ? JSON.parse(e.data) : e.data ?? {}) as typeof body;
    } catch {
      // not JSON: only the status is known
    }
    const rawCode = body.code ?? body.errorCode;
    const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? rawCode : null;
    const said = body.text ?? body.message;
    const text = typeof said === 'string' ? said.slice(0, 300) : `the Sinch ${api} API answered ${status}`;
    return new ProviderApiError('sinch', `${text}${code !== null ? ` (Sinch error ${code})` : ''}`, code, status);
  }
  if (/timeout/i.test(String(e.message ?? ''))) return new ProviderApiError('sinch', `no answer within ${SINCH_TIMEOUT_MS / 1000} s`, null, null, true);
  return new ProviderApiError('sinch', `the Sinch ${api} API could not be reached`, null, null);
}

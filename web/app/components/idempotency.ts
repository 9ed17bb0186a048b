import { useCallback, useState } from 'preact/hooks';
import { reuseIdempotencyKey } from '../../shared/idempotency';
import { ApiError, newIdempotencyKey } from '../api';

/**
 * The Idempotency-Key of a form that creates or sends something. A retry after a lost connection or a
 * 5xx keeps the key, so the server runs the request at most once; after success, or after an answer
 * the server stores under the key (a 4xx such as a taken handle), the next try gets a new key, or the
 * corrected retry would be refused as idempotency_key_reused for a day.
 */
export function useIdempotencyKey(): { key: string; settle: (error: unknown) => void } {
  const [key, setKey] = useState(newIdempotencyKey);
  const settle = useCallback((error: unknown) => {
    if (error === null || (error instanceof ApiError && !reuseIdempotencyKey(error.status))) setKey(newIdempotencyKey());
  }, []);
  return { key, settle };
}

/** Sends with the current key and settles it with the outcome; the request's own result or error passes through. */
export async function withIdempotencyKey<T>(idem: { key: string; settle: (error: unknown) => void }, send: (key: string) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await send(idem.key);
  } catch (e) {
    idem.settle(e);
    throw e;
  }
  idem.settle(null);
  return result;
}

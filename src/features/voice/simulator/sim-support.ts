// Small helpers both provider dialects of the call simulator share.
import { randomBytes } from 'node:crypto';

/**
 * Event times with milliseconds: Sinch writes whole seconds, and the server tells a provider's retry
 * from a new event by the signed body, so a simulated caller quicker than one event a second (a
 * test) must not send two identical ones. A person on the phone never is.
 */
export const eventTime = () => new Date().toISOString();
export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const contentType = (headers: Record<string, unknown>) => String(headers['content-type'] ?? '');
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Sinch Voice's request signing (telephony.md §1.5), used both ways: Sinch signs its ICE/ACE/PIE/
 * DiCE/Notify callbacks with the application secret, and the call simulator signs the callbacks it
 * pretends to send. The string to sign is METHOD, base64(MD5(body)) (empty without a body), the
 * exact Content-Type, "x-timestamp:<value>" and the path of the callback URL, joined by newlines.
 */
export interface SinchSignedRequest {
  method: string;
  path: string;
  contentType: string;
  timestamp: string;
  body: Buffer | string;
}

export function sinchSignature(secretBase64: string, req: SinchSignedRequest): string {
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const md5 = body.length ? createHash('md5').update(body).digest('base64') : '';
  const toSign = [req.method.toUpperCase(), md5, req.contentType, `x-timestamp:${req.timestamp}`, req.path].join('\n');
  return createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(toSign, 'utf8').digest('base64');
}

/** The Authorization header Sinch sends: `Application <key>:<signature>`. */
export function sinchAuthorization(appKey: string, secretBase64: string, req: SinchSignedRequest): string {
  return `Application ${appKey}:${sinchSignature(secretBase64, req)}`;
}

export type SinchAuthFailure = 'missing' | 'wrong_key' | 'bad_signature' | 'no_timestamp' | 'stale';

/**
 * Checks a callback's Authorization header against the raw bytes, in constant time, and that its
 * x-timestamp lies within `maxAgeSeconds` of `nowMs` either way (a captured callback cannot be
 * replayed later). Returns why it fails, or null when it holds.
 */
export function checkSinchCallback(
  opts: { appKey: string; secretBase64: string; maxAgeSeconds: number; nowMs: number },
  req: { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer },
): SinchAuthFailure | null {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const m = /^application ([^:\s]+):(\S+)$/i.exec(header('authorization') ?? '');
  if (!m) return 'missing';
  if (m[1] !== opts.appKey) return 'wrong_key';
  const timestamp = header('x-timestamp');
  if (!timestamp) return 'no_timestamp';
  const expected = Buffer.from(sinchSignature(opts.secretBase64, { method: req.method, path: req.path, contentType: header('content-type') ?? '', timestamp, body: req.body }), 'utf8');
  const given = Buffer.from(m[2]!, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  const at = Date.parse(timestamp);
  if (!Number.isFinite(at) || Math.abs(opts.nowMs - at) > opts.maxAgeSeconds * 1000) return 'stale';
  return null;
}

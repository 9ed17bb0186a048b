import { createHmac, timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { Config } from '../../config.js';
import { importedTwilioCredentials } from '../../providers/twilio-client.js';
import type { AppDeps } from '../../core/context.js';
import { publicBase } from '../../core/public-url.js';
import { findNumber } from '../phone-numbers/number-access.js';
import { normalizeNumber } from './callbacks.js';
import type { NumberRow } from './numbers.js';

/**
 * Verifying provider callbacks on the raw request, before anything in it is trusted (telephony.md
 * §2.3, §3.1, §6). Every check fails closed: no configured secret means no request is accepted.
 */

/**
 * Form fields as Twilio signs them: every field, repeated ones as arrays. Collected in a Map, so a
 * field named `constructor` or `__proto__` is a field like any other (an object would find
 * Object.prototype's member, or change its own prototype), and made own properties at the end.
 */
export function parseForm(raw: string): Record<string, string | string[]> {
  const params = new Map<string, string | string[]>();
  for (const [k, v] of new URLSearchParams(raw)) {
    const had = params.get(k);
    params.set(k, had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v]);
  }
  return Object.fromEntries(params);
}

/**
 * The auth token Twilio signed with: an imported number's own account's token (only for that account:
 * another Twilio account cannot speak for this number), else the platform's TWILIO_AUTH_TOKEN.
 */
export function twilioTokenFor(config: Config, number: NumberRow | undefined, accountSid: string | undefined): string | null {
  if (number && (number.source === 'imported' || number.twilio_auth_token_enc)) {
    let own;
    try {
      own = importedTwilioCredentials(config, number);
    } catch {
      return null; // the stored token does not open (SECRET_KEY changed): nothing can be verified
    }
    return own && own.accountSid === accountSid ? own.authToken : null;
  }
  return config.TWILIO_AUTH_TOKEN ?? null;
}

/**
 * X-Twilio-Signature over the public URL Twilio called (PUBLIC_URL + path + query, never the Host
 * header, which a proxy rewrites) and all form fields. The SDK's check is constant-time and also
 * accepts the URL with or without the default port, as Twilio may sign either.
 */
export function verifyTwilio(token: string, signature: string | undefined, url: string, params: Record<string, string | string[]>): boolean {
  return Boolean(signature) && twilio.validateRequest(token, signature!, url, params);
}

/**
 * A Twilio callback (SMS or voice) checked against its X-Twilio-Signature over PUBLIC_URL + the path
 * and query called. `ours` names the field carrying our number, whose account's token (an imported
 * number's) or the platform's signed it; it is read only to choose the key. Returns the form's
 * fields, or why the request is refused.
 */
export async function checkTwilioCallback(
  deps: Pick<AppDeps, 'db' | 'config'>,
  req: { url: string; body: Buffer; signature: unknown },
  ours: (form: Record<string, string | string[]>) => unknown,
): Promise<{ field: (name: string) => string | undefined; form: Record<string, string | string[]> } | { failure: string }> {
  const base = publicBase(deps.config);
  if (!base) return { failure: 'PUBLIC_URL is not set, so the signed URL cannot be known' };
  const form = parseForm(req.body.toString('utf8'));
  const field = (k: string) => (typeof form[k] === 'string' ? form[k] : undefined);
  const number = await findNumber(deps.db, normalizeNumber(ours(form)));
  const token = twilioTokenFor(deps.config, number?.provider === 'twilio' ? number : undefined, field('AccountSid'));
  if (!token) return { failure: "no auth token for this account (TWILIO_AUTH_TOKEN unset, or not the imported number's account)" };
  if (!verifyTwilio(token, typeof req.signature === 'string' ? req.signature : undefined, `${base}${req.url}`, form)) return { failure: 'signature mismatch' };
  return { field, form };
}

/** How far a Sinch signature timestamp may be from our clock, either way. */
const SINCH_TOLERANCE_SECONDS = 300;

/**
 * Sinch's callback HMAC: base64(HMAC-SHA256(secret, body + "." + nonce + "." + timestamp)) in
 * x-sinch-webhook-signature, the timestamp in Unix seconds within SINCH_TOLERANCE_SECONDS of `now`
 * (a captured request cannot be replayed later; within the window, deduplication on ids absorbs it).
 */
export function verifySinch(secret: string, headers: Record<string, string | string[] | undefined>, raw: Buffer, nowMs: number): boolean {
  const one = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const signature = one('x-sinch-webhook-signature');
  const nonce = one('x-sinch-webhook-signature-nonce');
  const timestamp = one('x-sinch-webhook-signature-timestamp');
  if (!signature || !nonce || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SINCH_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(Buffer.concat([raw, Buffer.from(`.${nonce}.${timestamp}`, 'utf8')])).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

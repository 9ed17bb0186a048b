import { createHmac, timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { Config } from '../../config.js';
import { importedTwilioCredentials } from '../../providers/twilio-client.js';
import type { NumberRow } from './numbers.js';

/**
 * Verifying provider callbacks on the raw request, before anything in it is trusted (telephony.md
 * §2.3, §3.1, §6). Every check fails closed: no configured secret means no request is accepted.
 */

/** Form fields as Twilio signs them: every field, repeated ones as arrays. */
export function parseForm(raw: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const had = params[k];
    params[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return params;
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

import type { SmsStatus } from '../../providers/sms/port.js';
import type { InboundSms } from './inbound-service.js';
import { fromSinchStatus, fromTwilioStatus } from './statuses.js';

/**
 * Providers' callback payloads turned into our words. They run only on verified requests, and still
 * treat every field as untrusted text: lengths capped, NUL removed (PostgreSQL text cannot hold it),
 * anything unexpected ignored rather than thrown.
 */

const MAX_BODY = 4000;
const MAX_MEDIA = 10;

const clean = (value: unknown, max: number): string => (typeof value === 'string' ? value.replaceAll('\u0000', '').slice(0, max) : '');

/**
 * Numbers as we store them: E.164 with its +. Sinch writes MSISDNs without it; short codes (up to 6
 * digits) and non-numeric senders (whatsapp:+1…, alphanumeric ids) are kept as they are.
 */
export function normalizeNumber(raw: unknown): string {
  const text = clean(raw, 64).trim();
  return /^\d{7,15}$/.test(text) ? `+${text}` : text;
}

const isHttpUrl = (u: string) => /^https?:\/\/\S+$/i.test(u) && u.length <= 2048;

export interface DeliveryReport {
  providerMessageId: string;
  /** Our sms id, when the provider carries it back (Twilio: in our callback URL; Sinch: client_reference). */
  reference: string | null;
  status: SmsStatus;
  errorCode: string | null;
}

const SMS_ID = /^sms_[0-9a-z]{26}$/;
const ref = (value: unknown) => (typeof value === 'string' && SMS_ID.test(value) ? value : null);

type Form = Record<string, string | string[]>;
const first = (form: Form, key: string) => {
  const v = form[key];
  return Array.isArray(v) ? v[0] : v;
};

/** Twilio's inbound SMS/MMS fields (telephony.md §3.2); null when it is not one. */
export function twilioInbound(form: Form): InboundSms | null {
  const sid = clean(first(form, 'MessageSid') ?? first(form, 'SmsMessageSid') ?? first(form, 'SmsSid'), 64);
  const from = normalizeNumber(first(form, 'From'));
  const to = normalizeNumber(first(form, 'To'));
  if (!sid || !from || !to) return null;
  const count = Math.min(MAX_MEDIA, Math.max(0, Number.parseInt(first(form, 'NumMedia') ?? '0', 10) || 0));
  const mediaUrls = Array.from({ length: count }, (_, i) => clean(first(form, `MediaUrl${i}`), 2048)).filter(isHttpUrl);
  return { provider: 'twilio', providerMessageId: sid, from, to, body: clean(first(form, 'Body'), MAX_BODY), mediaUrls };
}

/** Twilio's status callback (§3.3); null for statuses that say nothing new. */
export function twilioStatus(form: Form, smsIdInUrl: unknown): DeliveryReport | null {
  const sid = clean(first(form, 'MessageSid') ?? first(form, 'SmsSid'), 64);
  const status = fromTwilioStatus(clean(first(form, 'MessageStatus') ?? first(form, 'SmsStatus'), 32));
  if (!sid || !status) return null;
  const code = clean(first(form, 'ErrorCode'), 16).trim();
  return { providerMessageId: sid, reference: ref(smsIdInUrl), status, errorCode: code && code !== '0' ? code : null };
}

export type SinchCallback = { kind: 'inbound'; sms: InboundSms } | { kind: 'report'; report: DeliveryReport } | { kind: 'ignored'; type: string };

/** Sinch SMS callbacks (§2.3): MO messages and delivery reports, told apart by `type`. */
export function sinchCallback(payload: unknown): SinchCallback {
  const p = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  const type = clean(p.type, 64);
  if (type === 'mo_text' || type === 'mo_media') {
    const id = clean(p.id, 64);
    const from = normalizeNumber(p.from);
    const to = normalizeNumber(p.to);
    if (!id || !from || !to) return { kind: 'ignored', type };
    if (type === 'mo_text') return { kind: 'inbound', sms: { provider: 'sinch', providerMessageId: id, from, to, body: clean(p.body, MAX_BODY), mediaUrls: [] } };
    const body = (p.body && typeof p.body === 'object' ? p.body : {}) as { message?: unknown; media?: unknown };
    const media = Array.isArray(body.media) ? body.media : [];
    const mediaUrls = media
      .map((m) => clean((m as { url?: unknown } | null)?.url, 2048))
      .filter(isHttpUrl)
      .slice(0, MAX_MEDIA);
    return { kind: 'inbound', sms: { provider: 'sinch', providerMessageId: id, from, to, body: clean(body.message, MAX_BODY), mediaUrls } };
  }
  if (type === 'recipient_delivery_report_sms' || type === 'recipient_delivery_report_mms') {
    return sinchReport(p.batch_id, p.client_reference, p.status, p.code) ?? { kind: 'ignored', type };
  }
  // A batch-level report: sinth sends one recipient per batch, so a single status is that recipient's.
  if ((type === 'delivery_report_sms' || type === 'delivery_report_mms') && Array.isArray(p.statuses) && p.statuses.length === 1) {
    const s = (p.statuses[0] ?? {}) as Record<string, unknown>;
    return sinchReport(p.batch_id, p.client_reference, s.status, s.code) ?? { kind: 'ignored', type };
  }
  return { kind: 'ignored', type };
}

function sinchReport(batchId: unknown, reference: unknown, statusWord: unknown, code: unknown): SinchCallback | null {
  const id = clean(batchId, 64);
  const status = fromSinchStatus(clean(statusWord, 32));
  if (!id || !status) return null;
  // Sinch's codes describe every state (400 = queued…): only a failure's code is an error code.
  const failed = status === 'failed' || status === 'undelivered' || status === 'canceled';
  const errorCode = failed && typeof code === 'number' ? String(code) : null;
  return { kind: 'report', report: { providerMessageId: id, reference: ref(reference), status, errorCode } };
}

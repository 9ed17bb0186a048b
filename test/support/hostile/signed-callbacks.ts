import type fc from 'fast-check';
import { expect } from 'vitest';
import type { Answer } from './answers.js';
import { show, type Case } from './case.js';
import type { CallbackKnown } from './callback-world.js';
import { plausibleSinchSms, plausibleSinchVoice, signedSinchSmsCases, signedSinchVoiceCases, sweepSinchSms, sweepSinchVoice } from './signed-sinch-cases.js';
import { plausibleStripe, signedStripeCases, sweepStripe } from './signed-stripe-cases.js';
import { plausibleTwilio, signedTwilioCases, sweepTwilio } from './signed-twilio-cases.js';
import { xmlRoot } from './xml-well-formed.js';

/** What a callback answers when it takes a request: the provider's own document, or nothing. */
export type Protocol = 'twiml' | 'svaml' | 'empty' | 'stripe';

export interface CallbackSpec {
  provider: 'twilio' | 'sinch' | 'stripe';
  protocol: Protocol;
  /** Hostile bodies, every one validly signed. */
  cases: fc.Arbitrary<Case>;
  /** An ordinary request, correctly signed, that the route takes (2xx). */
  plausible(): Case;
  /** Ordinary requests with one field at a time set to each of SWEEP_WORDS: every lookup of a provider's word, deterministically. */
  sweep(): Case[];
}

const TWIML_PATHS = ['/webhooks/twilio/sms', '/webhooks/twilio/sms-status', '/webhooks/twilio/voice', '/webhooks/twilio/voice/gather'];

/** The signed cases of a provider callback path; null for a path no provider signer knows (a new callback to cover). */
export function callbackSpec(known: CallbackKnown, path: string): CallbackSpec | null {
  if (path.startsWith('/webhooks/twilio/')) {
    return {
      provider: 'twilio',
      protocol: TWIML_PATHS.includes(path) ? 'twiml' : 'empty',
      cases: signedTwilioCases(known, path),
      plausible: () => plausibleTwilio(known, path),
      sweep: () => sweepTwilio(known, path),
    };
  }
  if (path === '/webhooks/sinch/voice') return { provider: 'sinch', protocol: 'svaml', cases: signedSinchVoiceCases(known), plausible: () => plausibleSinchVoice(known), sweep: () => sweepSinchVoice(known) };
  if (path === '/webhooks/sinch/sms') return { provider: 'sinch', protocol: 'empty', cases: signedSinchSmsCases(known), plausible: () => plausibleSinchSms(known), sweep: () => sweepSinchSms(known) };
  if (path === '/webhooks/stripe') return { provider: 'stripe', protocol: 'stripe', cases: signedStripeCases(known), plausible: plausibleStripe, sweep: () => sweepStripe(known) };
  return null;
}

/**
 * A taken request's answer is what the provider reads: well-formed TwiML (a <Response> document),
 * SVAML (a JSON object with one action; nothing for DiCE and Notify), nothing at all, or Stripe's
 * acknowledgement. Anything under 400 must be one of those.
 */
export function checkProtocolAnswer(spec: CallbackSpec, c: Case, res: Answer): void {
  const where = `${show(c)}\n→ ${res.status} ${res.body.slice(0, 500)}`;
  const type = String(res.headers['content-type'] ?? '');
  switch (spec.protocol) {
    case 'twiml': {
      expect(res.status, where).toBe(200);
      expect(type, where).toMatch(/^text\/xml/);
      const doc = xmlRoot(res.body);
      expect(doc, where).toEqual({ root: 'Response' });
      return;
    }
    case 'svaml': {
      expect(res.status, where).toBe(200);
      if (res.body === '') return;
      expect(type, where).toMatch(/^application\/json/);
      let svaml: any;
      expect(() => (svaml = JSON.parse(res.body)), where).not.toThrow();
      expect(typeof svaml?.action?.name, where).toBe('string');
      expect(Array.isArray(svaml.instructions ?? []), where).toBe(true);
      return;
    }
    case 'empty':
      expect([200, 204], where).toContain(res.status);
      expect(res.body, where).toBe('');
      return;
    case 'stripe': {
      expect(res.status, where).toBe(200);
      let ack: any;
      expect(() => (ack = JSON.parse(res.body)), where).not.toThrow();
      expect(ack, where).toEqual({ received: true, duplicate: expect.any(Boolean) });
    }
  }
}

/** The case with its body changed after signing (one trailing space): the signature no longer holds. */
export const tampered = (c: Case): Case => ({ ...c, why: `${c.why}, body changed after signing`, payload: `${String(c.payload ?? '')} ` });

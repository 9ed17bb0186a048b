import type { VoiceSettings } from './voice-settings.js';

/**
 * What the bot does next on a call, whatever the provider: say some lines, then listen, hang up,
 * put the caller through to a number, or refuse the call unanswered. Rendered as Sinch SVAML
 * (sinch-svaml.ts) or Twilio TwiML (twiml.ts).
 */
export type CallNext =
  | { kind: 'listen' }
  | { kind: 'hangup' }
  | { kind: 'transfer'; number: string; cli: string; maxDurationSeconds: number }
  | { kind: 'reject' }
  /** Sinch: let a connection under way go on (the answer to the ACE of a transfer's leg). */
  | { kind: 'continue' };

export interface CallPlan {
  say: string[];
  next: CallNext;
  /** Start recording the call (inbound calls, when the bot's voice settings say so). */
  record?: boolean;
}

/** The voice settings a rendering needs. */
export type RenderSettings = Pick<VoiceSettings, 'locale' | 'voice' | 'barge_in' | 'silence_timeout_seconds'>;

export const listen = (...say: string[]): CallPlan => ({ say, next: { kind: 'listen' } });
export const hangUp = (...say: string[]): CallPlan => ({ say, next: { kind: 'hangup' } });
export const REJECT: CallPlan = { say: [], next: { kind: 'reject' } };
export const CONTINUE: CallPlan = { say: [], next: { kind: 'continue' } };

/** Text-to-speech engines limit one utterance (Sinch: 600 characters); longer text is cut at sentence or word ends. */
export function utterances(text: string, max = 600): string[] {
  const out: string[] = [];
  let rest = text.replace(/\s+/g, ' ').trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('? '), window.lastIndexOf('! '));
    const cut = sentence > max / 2 ? sentence + 1 : window.lastIndexOf(' ') > 0 ? window.lastIndexOf(' ') : max;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

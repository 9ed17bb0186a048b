import { z } from 'zod';
import type { CallEnding } from './call-ending.js';
import type { CallerInput } from './call-flow.js';

/**
 * Sinch Voice callbacks (telephony.md §1.2) as far as we read them. Every field is untrusted text
 * even after the signature holds: lengths are capped and shapes checked; unknown fields are dropped.
 */
const Text = (max: number) => z.string().max(max);
const Endpoint = z.object({ endpoint: Text(64).optional() }).optional();
const Money = z.object({ amount: z.number().finite().optional(), currencyId: Text(8).optional() }).optional();

export const SinchCallback = z.discriminatedUnion('event', [
  z.object({ event: z.literal('ice'), callid: Text(200).min(1), cli: Text(64).optional(), to: Endpoint, callResourceUrl: Text(2048).optional(), custom: Text(1024).optional() }),
  z.object({ event: z.literal('ace'), callid: Text(200).min(1), custom: Text(1024).optional(), amd: z.object({ status: Text(32).optional() }).optional() }),
  z.object({
    event: z.literal('pie'),
    callid: Text(200).min(1),
    menuResult: z.object({ type: Text(32).optional(), value: Text(4000).optional(), inputMethod: Text(16).optional() }).optional(),
  }),
  z.object({ event: z.literal('dice'), callid: Text(200).min(1), custom: Text(1024).optional(), result: Text(32).optional(), reason: Text(32).optional(), duration: z.number().finite().min(0).optional(), debit: Money }),
  z.object({ event: z.literal('notify'), callid: Text(200).min(1), custom: Text(1024).optional(), type: Text(64).optional(), destination: Text(2048).optional(), amd: z.object({ status: Text(32).optional() }).optional() }),
]);
export type SinchCallback = z.infer<typeof SinchCallback>;

/** What the caller did, from a PIE's menu result: voice or key input, or nothing (timeout, no match, error). */
export function pieInput(menu: { type?: string | undefined; value?: string | undefined; inputMethod?: string | undefined } | undefined): CallerInput | 'hangup' {
  if (menu?.type === 'hangup') return 'hangup';
  const value = menu?.value?.trim() ?? '';
  if ((menu?.type === 'sequence' || menu?.type === 'return') && value) {
    return { kind: 'speech', text: menu.inputMethod === 'dtmf' ? `(pressed ${value.replace(/[^0-9*#]/g, '')})` : value };
  }
  return { kind: 'silence' };
}

/** A DiCE as a call ending. */
export function diceEnding(e: Extract<SinchCallback, { event: 'dice' }>): CallEnding {
  const result = e.result?.toUpperCase() ?? null;
  const reason = e.reason?.toUpperCase() ?? null;
  const status = result === 'BUSY' ? 'busy' : result === 'NOANSWER' ? 'no_answer' : result === 'FAILED' ? 'failed' : reason === 'CANCEL' ? 'canceled' : 'completed';
  return { status, result, reason, durationSeconds: e.duration !== undefined ? Math.round(e.duration) : null, cost: e.debit?.amount ?? null, currency: e.debit?.currencyId ?? null };
}

/** Sinch's AMD verdict in our words. */
export const amdVerdict = (status: string | undefined): 'human' | 'machine' | 'unknown' => (status === 'machine' ? 'machine' : status === 'human' ? 'human' : 'unknown');

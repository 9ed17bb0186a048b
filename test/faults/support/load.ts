import { setTimeout as sleep } from 'node:timers/promises';
import type { SinthProcess } from './cluster.js';

/** One try of a request: which process it went to, when, and what came back. */
export interface Attempt {
  proc: string;
  start: number;
  end: number;
  status: number | null;
  /** A connection failure (refused, reset, timed out), when no status came back. */
  error: string | null;
}

/** One logical request of a client, tried until it got an answer worth keeping or the client gave up. */
export interface Call {
  kind: 'conversation' | 'sms';
  /** The unique text the request carries, to find what it stored. */
  marker: string;
  attempts: Attempt[];
  /** The final status; null when every attempt failed to connect. */
  status: number | null;
  body: string | null;
}

export interface ClientOptions {
  /** The API processes, tried in turn (a client behind a load balancer lands on any of them). */
  targets: SinthProcess[];
  /** Where this client starts in `targets`. */
  offset: number;
  /** Past this time no new attempt is made (the request stays unanswered). */
  giveUpAt: () => number;
}

/** Answers a client tries again: the server failed, was busy with the same key, or said to slow down. */
const retryable = (status: number) => status >= 500 || status === 409 || status === 429;

/**
 * Sends one request the way a careful client does: the same request (same Idempotency-Key, same
 * provider message id) again after a connection failure, a 5xx, a 409 (the same key still in
 * progress) or a 429, with a growing pause, each attempt on the next API process.
 */
export async function sendWithRetries(call: Call, o: ClientOptions, send: (baseUrl: string) => Promise<Response>): Promise<Call> {
  for (let n = 0; ; n++) {
    const target = o.targets[(o.offset + n) % o.targets.length]!;
    const attempt: Attempt = { proc: target.name, start: Date.now(), end: 0, status: null, error: null };
    call.attempts.push(attempt);
    try {
      const res = await send(target.url!);
      call.body = await res.text();
      attempt.status = res.status;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      attempt.error = e.cause?.code ?? e.cause?.message ?? e.message;
    }
    attempt.end = Date.now();
    call.status = attempt.status;
    if (attempt.status !== null && !retryable(attempt.status)) return call;
    if (Date.now() > o.giveUpAt()) return call;
    await sleep(Math.min(1000, 100 * 2 ** Math.min(n, 4)));
  }
}

export interface Window {
  what: string;
  proc: string | null;
  from: number;
  to: number;
}

export interface LoadFigures {
  requests: number;
  attempts: number;
  ok: number;
  retries: number;
  connectionErrors: number;
  status5xx: number;
  unanswered: number;
}

export function figuresOf(calls: Call[]): LoadFigures {
  const attempts = calls.flatMap((c) => c.attempts);
  return {
    requests: calls.length,
    attempts: attempts.length,
    ok: calls.filter((c) => c.status !== null && c.status < 300).length,
    retries: attempts.length - calls.length,
    connectionErrors: attempts.filter((a) => a.error !== null).length,
    status5xx: attempts.filter((a) => a.status !== null && a.status >= 500).length,
    unanswered: calls.filter((c) => c.status === null || c.status >= 300).length,
  };
}

/**
 * Attempts that failed where no failure is excused: a connection failure outside the death window
 * of the process it went to, a 5xx outside every window that excuses one (`excuses5xx`: the
 * database restarting, for instance).
 */
export function unexcusedFailures(calls: Call[], deaths: Window[], excuses5xx: Window[]): Array<Attempt & { marker: string }> {
  const within = (a: Attempt, w: Window) => (w.proc === null || w.proc === a.proc) && a.end >= w.from && a.start <= w.to;
  return calls.flatMap((c) =>
    c.attempts
      .filter((a) => (a.error !== null && !deaths.some((w) => within(a, w))) || (a.status !== null && a.status >= 500 && !deaths.some((w) => within(a, w)) && !excuses5xx.some((w) => within(a, w))))
      .map((a) => ({ ...a, marker: c.marker })),
  );
}

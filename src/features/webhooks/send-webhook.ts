import { performance } from 'node:perf_hooks';
import type { Webhook } from 'standardwebhooks';
import { request, type Dispatcher } from 'undici';
import { BlockedAddressError } from '../../core/net/fetch-errors.js';
import { USER_AGENT } from '../../core/net/safe-fetch.js';

/** What the attempt log keeps of a response body. */
const EXCERPT_BYTES = 1024;

export interface WebhookMessage {
  url: string;
  /** The event id: the webhook-id header, the same on every attempt, so receivers can deduplicate. */
  eventId: string;
  body: string;
  /** The endpoint's Standard Webhooks signer (its secret). */
  signer: Webhook;
}

export interface AttemptResult {
  ok: boolean;
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  /** Why it failed, in words for the account's developers; null on success. */
  error: string | null;
  response: string | null;
}

/**
 * One attempt: a signed POST through `agent` (which refuses non-public addresses at connect time
 * unless allowed, see core/net/safe-agent.ts) and never follows a redirect: a 3xx is a failure, as
 * following it would send the signed event somewhere the account never registered. Never throws.
 */
export async function sendWebhook(agent: Dispatcher, msg: WebhookMessage, timeoutMs: number): Promise<AttemptResult> {
  const attemptedAt = new Date();
  const started = performance.now();
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), timeoutMs);
  const done = (r: Omit<AttemptResult, 'attemptedAt' | 'latencyMs' | 'ok'>): AttemptResult => ({
    ...r,
    ok: r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300,
    attemptedAt,
    latencyMs: Math.round(performance.now() - started),
  });
  try {
    const res = await request(msg.url, {
      dispatcher: agent,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': msg.eventId,
        'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
        'webhook-signature': msg.signer.sign(msg.eventId, attemptedAt, msg.body),
      },
      body: msg.body,
      signal: timer.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const response = await readExcerpt(res.body);
    const status = res.statusCode;
    let error: string | null = null;
    if (status >= 300 && status < 400) {
      const location = [res.headers.location].flat()[0];
      error = `redirect${location ? ` to ${location.slice(0, 300)}` : ''} not followed: register the final URL`;
    } else if (status < 200 || status >= 300) {
      error = `HTTP ${status}`;
    }
    return done({ statusCode: status, error, response });
  } catch (err) {
    return done({ statusCode: null, error: timer.signal.aborted ? `timed out after ${timeoutMs} ms` : describeFailure(err), response: null });
  } finally {
    clearTimeout(timeout);
  }
}

/** The first EXCERPT_BYTES of the body as text. A longer body is cut off there (its connection is closed). */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= EXCERPT_BYTES) break;
  }
  if (!size) return null;
  // A multi-byte character cut at the limit decodes to U+FFFD; NUL cannot be stored in a text column.
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\uFFFD$/, '').replaceAll('\u0000', '');
}

function describeFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: unknown };
  const blocked = err instanceof BlockedAddressError ? err : e?.cause instanceof BlockedAddressError ? e.cause : null;
  if (blocked) return `refused: ${blocked.host} is ${blocked.host === blocked.address ? '' : `at ${blocked.address}, `}a private, loopback or otherwise non-public address (the server does not set ALLOW_PRIVATE_URLS)`;
  const code = e?.code ?? (e?.cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out connecting';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timed out waiting for the response';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before a response';
  }
  if (typeof code === 'string' && /CERT|SSL|TLS/.test(code)) return `TLS failed (${code})`;
  return `request failed: ${(e?.message ?? String(err)).slice(0, 300)}`;
}

import { request } from 'undici';
import { BlockedAddressError, FetchError, FetchTimeoutError, TooManyRedirectsError } from './fetch-errors.js';
import { decodeBody, discardBody, readLimitedBody } from './read-body.js';
import { safeAgent, type PrivateAddressPolicy } from './safe-agent.js';

export { BlockedAddressError, FetchError, FetchTimeoutError, FetchTooLargeError, TooManyRedirectsError } from './fetch-errors.js';
export { isPrivateAddress } from './private-address.js';
export type { ConnectTarget, PrivateAddressPolicy } from './safe-agent.js';

export const USER_AGENT = 'sinth/0.1 (+https://github.com/sinth)';

export interface ResponseHead {
  status: number;
  url: string;
  headers: Record<string, string>;
  contentType: string | null;
}

export interface SafeFetchOptions {
  /** Non-public addresses: false (default) refuses them, true allows them (ALLOW_PRIVATE_URLS), or decide per target. */
  allowPrivate?: PrivateAddressPolicy;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Largest body accepted, after decompression. Default 10 MB. */
  maxBytes?: number;
  /** The whole call: every hop, headers and body. Default 30 s. */
  timeoutMs?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Time to the response headers, and the longest pause between body chunks. Default 15 s. undici checks these on a
   *  coarse (about half-second) tick, so they may fire up to a second late; timeoutMs is exact. */
  headersTimeoutMs?: number;
  /** Hops followed; 0 returns a 3xx response as it is (its `location` header says where). Default 5. */
  maxRedirects?: number;
  /** Cancels the call; it then rejects with the signal's reason, not a FetchError. */
  signal?: AbortSignal;
  /** Asked once the final response's headers arrive; false skips reading the body (e.g. a PDF when only HTML is wanted). */
  acceptBody?: (head: ResponseHead) => boolean;
}

export interface SafeResponse extends ResponseHead {
  /** URLs that redirected, in order, ending before `url`. */
  redirects: string[];
  body: Buffer;
  /** acceptBody declined: `body` is empty. */
  bodySkipped: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Fetches an untrusted URL. Every connection (first request and each redirect hop) is checked at
 * connect time against the address it really uses (see safe-agent.ts); redirects are followed here,
 * not by undici, so each hop's scheme is checked and loops are caught. Throws only FetchError
 * subclasses, or the caller's abort reason.
 */
export async function safeFetch(url: string, options: SafeFetchOptions = {}): Promise<SafeResponse> {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 15_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const agent = safeAgent(options.allowPrivate ?? false, options.connectTimeoutMs ?? 10_000);

  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(new FetchTimeoutError(url, 'total', timeoutMs)), timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timer.signal]) : timer.signal;

  let current = checkUrl(url);
  let method = options.method ?? 'GET';
  let body = options.body;
  let headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    'accept-encoding': 'gzip, deflate, br',
    ...lowerKeys(options.headers ?? {}),
  };
  const chain: string[] = [current.href];
  try {
    for (;;) {
      const res = await request(current, { dispatcher: agent, method, headers, body, signal, headersTimeout: headersTimeoutMs, bodyTimeout: headersTimeoutMs });
      const resHeaders = flattenHeaders(res.headers);
      const location = resHeaders.location;
      if (REDIRECTS.has(res.statusCode) && location !== undefined && maxRedirects > 0) {
        // Read a small redirect body to keep the connection reusable; a big one just closes it.
        await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
        const next = checkUrl(resolveLocation(location, current), current.href);
        if (chain.includes(next.href)) throw new TooManyRedirectsError(url, [...chain, next.href], true, maxRedirects);
        if (chain.length > maxRedirects) throw new TooManyRedirectsError(url, [...chain, next.href], false, maxRedirects);
        if (next.origin !== current.origin) headers = withoutKeys(headers, CREDENTIAL_HEADERS);
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          headers = withoutKeys(headers, ['content-type', 'content-length']);
        }
        chain.push(next.href);
        current = next;
        continue;
      }
      const head: ResponseHead = { status: res.statusCode, url: current.href, headers: resHeaders, contentType: mediaType(resHeaders['content-type']) };
      if (options.acceptBody && !options.acceptBody(head)) {
        discardBody(res.body);
        return { ...head, redirects: chain.slice(0, -1), body: Buffer.alloc(0), bodySkipped: true };
      }
      const raw = await readLimitedBody(res.body, resHeaders, maxBytes, current.href);
      const decoded = await decodeBody(raw, resHeaders['content-encoding'], maxBytes, current.href);
      return { ...head, redirects: chain.slice(0, -1), body: decoded, bodySkipped: false };
    }
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timer.signal.aborted) throw timer.signal.reason;
    throw toFetchError(err, current.href, options);
  } finally {
    clearTimeout(timeout);
  }
}

function checkUrl(text: string, from?: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FetchError(from ? `${from} redirected to an invalid URL.` : `Not a valid URL: ${text}.`, text);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const where = from ? `${from} redirected to ${url.protocol} URL` : `Only http and https URLs can be fetched, not ${url.protocol}`;
    throw new FetchError(`${where}.`, text);
  }
  if (url.username || url.password) throw new FetchError('URLs with a user name or password are not supported.', url.origin);
  url.hash = '';
  return url;
}

function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

/** The media type alone ("text/html"), lowercased: what callers branch on. */
function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type || null;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const lowerKeys = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const withoutKeys = (h: Record<string, string>, keys: string[]) => Object.fromEntries(Object.entries(h).filter(([k]) => !keys.includes(k)));

/** undici and the socket speak in codes; turn them into a sentence about the URL. */
function toFetchError(err: unknown, url: string, options: SafeFetchOptions): FetchError {
  if (err instanceof BlockedAddressError) return new BlockedAddressError(url, err.host, err.address);
  if (err instanceof FetchError) return err;
  const e = err as NodeJS.ErrnoException & { cause?: unknown };
  // The connect-time refusal can arrive wrapped by undici or net.
  if (e?.cause instanceof BlockedAddressError) return new BlockedAddressError(url, e.cause.host, e.cause.address);
  const host = safeHost(url);
  switch (e?.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new FetchTimeoutError(url, 'connect', options.connectTimeoutMs ?? 10_000);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new FetchTimeoutError(url, 'headers', options.headersTimeoutMs ?? 15_000);
    case 'UND_ERR_BODY_TIMEOUT':
      return new FetchTimeoutError(url, 'body', options.headersTimeoutMs ?? 15_000);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FetchError(`Could not fetch ${url}: the host name ${host} does not resolve.`, url, { cause: err });
    case 'ECONNREFUSED':
      return new FetchError(`Could not fetch ${url}: ${host} refused the connection.`, url, { cause: err });
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return new FetchError(`Could not fetch ${url}: the connection was closed unexpectedly.`, url, { cause: err });
  }
  if (typeof e?.code === 'string' && /CERT|SSL|TLS/.test(e.code)) {
    return new FetchError(`Could not fetch ${url}: the TLS certificate of ${host} was not accepted (${e.code}).`, url, { cause: err });
  }
  return new FetchError(`Could not fetch ${url}: ${e?.message ?? String(err)}`, url, { cause: err });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

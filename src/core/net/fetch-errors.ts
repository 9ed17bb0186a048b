/**
 * Why an outbound fetch failed. Messages are written for people: a source's `error` field shows them
 * as they are, so they name the URL or host and what to do, never credentials or internals.
 */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FetchError';
  }
}

/** The host resolved to (or is) an address that untrusted URLs may not reach. */
export class BlockedAddressError extends FetchError {
  constructor(
    url: string,
    readonly host: string,
    readonly address: string,
  ) {
    const what = host === address ? address : `${host} (${address})`;
    super(
      `Refused to fetch ${url}: ${what} is a private, loopback or otherwise non-public address. ` +
        'Set ALLOW_PRIVATE_URLS=true to allow such addresses (tests, on-premises installs).',
      url,
    );
    this.name = 'BlockedAddressError';
  }
}

export class FetchTooLargeError extends FetchError {
  constructor(
    url: string,
    readonly limitBytes: number,
  ) {
    super(`The response from ${url} is too large: over the ${formatBytes(limitBytes)} limit.`, url);
    this.name = 'FetchTooLargeError';
  }
}

export class FetchTimeoutError extends FetchError {
  constructor(
    url: string,
    readonly phase: 'connect' | 'headers' | 'body' | 'total',
    readonly timeoutMs: number,
  ) {
    const doing = { connect: 'connecting to', headers: 'waiting for a response from', body: 'reading the response from', total: 'fetching' }[phase];
    super(`Timed out after ${formatSeconds(timeoutMs)} ${doing} ${url}.`, url);
    this.name = 'FetchTimeoutError';
  }
}

/** Too many hops, or a hop back to a URL already in the chain (a loop: `loop` is true). */
export class TooManyRedirectsError extends FetchError {
  constructor(
    url: string,
    readonly chain: readonly string[],
    readonly loop: boolean,
    limit: number,
  ) {
    super(
      loop ? `Redirect loop: ${chain.join(' → ')}.` : `Too many redirects (more than ${limit}) starting at ${url}.`,
      url,
    );
    this.name = 'TooManyRedirectsError';
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

const formatSeconds = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`);

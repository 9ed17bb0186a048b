/**
 * Politeness per host: at most `concurrency` requests in flight, and request STARTS at least
 * `delayMs` apart (so the request rate never exceeds 1/delay, however many slots there are; the
 * slots only matter when responses are slower than the delay). Start times are reserved
 * synchronously when a slot is taken, so concurrent callers cannot both start "now".
 */
interface HostState {
  active: number;
  waiters: Array<() => void>;
  nextStart: number;
  delayMs: number;
}

export class HostGate {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly concurrency: number,
    private readonly defaultDelayMs: number,
  ) {}

  /** Raises (never lowers) a host's delay, e.g. to honour robots.txt Crawl-delay. */
  raiseDelay(host: string, delayMs: number): void {
    const state = this.state(host);
    state.delayMs = Math.max(state.delayMs, delayMs);
  }

  delayOf(host: string): number {
    return this.state(host).delayMs;
  }

  async run<T>(host: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const state = this.state(host);
    while (state.active >= this.concurrency) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          state.waiters = state.waiters.filter((w) => w !== wake);
          reject(signal.reason);
        };
        if (signal.aborted) return reject(signal.reason);
        state.waiters.push(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    state.active++;
    try {
      const now = Date.now();
      const startAt = Math.max(now, state.nextStart);
      state.nextStart = startAt + state.delayMs;
      if (startAt > now) await sleep(startAt - now, signal);
      signal.throwIfAborted();
      return await fn();
    } finally {
      state.active--;
      state.waiters.shift()?.();
    }
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) this.hosts.set(host, (state = { active: 0, waiters: [], nextStart: 0, delayMs: this.defaultDelayMs }));
    return state;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

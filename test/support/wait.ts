import { setTimeout as sleep } from 'node:timers/promises';

/** Reads until `done` holds for what was read (every 100 ms), and returns it; fails naming `what` with the last value. */
export async function waitUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 800)}`);
    await sleep(100);
  }
}

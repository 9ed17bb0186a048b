import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../core/db-errors.js';

/**
 * Runs a starting server's database work, and runs it again from the top while the database cannot
 * be reached (not up yet, or restarting under it) for up to `waitMs`; any other failure, or the
 * same one past the wait, is thrown. `attempt` must clean up after itself when it fails: it is
 * called again from scratch.
 */
export async function retryWhileDatabaseUnavailable<T>(attempt: () => Promise<T>, opts: { waitMs: number; log: Logger }): Promise<T> {
  const deadline = Date.now() + opts.waitMs;
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const left = deadline - Date.now();
      if (!isDatabaseUnavailable(err) || left <= 0) throw err;
      // 250 ms, doubling to 5 s: quick when the database is just coming up, quiet when it is down for long.
      const pause = Math.min(left, 5_000, 250 * 2 ** (tries - 1));
      opts.log.warn({ err, attempt: tries, retry_in_ms: pause }, 'database unreachable while starting; trying again');
      await sleep(pause);
    }
  }
}

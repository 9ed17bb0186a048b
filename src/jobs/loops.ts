import type { Logger } from 'pino';

/**
 * Work a worker keeps doing rather than waits to be asked for: relaying the outbox, delivering
 * webhooks. A tick does one batch and says whether it found work; an idle loop sleeps `idleMs`
 * before looking again, a busy one goes straight on. Every worker process runs every loop; the
 * ticks claim their rows with `for update skip locked`, so workers share the work and never do it twice.
 */
export interface Loop {
  name: string;
  idleMs: number;
  tick(): Promise<boolean>;
}

const MAX_BACKOFF_MS = 30_000;

export class LoopRunner {
  private running = false;
  private readonly done: Array<Promise<void>> = [];
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly log: Logger) {}

  start(loops: Loop[]): void {
    this.running = true;
    for (const loop of loops) this.done.push(this.run(loop));
  }

  private async run(loop: Loop): Promise<void> {
    let failures = 0;
    while (this.running) {
      let busy = false;
      try {
        busy = await loop.tick();
        failures = 0;
      } catch (err) {
        // The database gone, say: wait longer after each failure in a row (up to MAX_BACKOFF_MS), not idleMs.
        failures++;
        this.log.error({ err, loop: loop.name, failures }, 'background loop failed; trying again');
      }
      const pause = failures ? Math.min(MAX_BACKOFF_MS, loop.idleMs * 2 ** failures) : loop.idleMs;
      if ((!busy || failures) && this.running) await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Lets every tick under way finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.done);
  }
}

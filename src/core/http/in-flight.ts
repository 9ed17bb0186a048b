import type { FastifyInstance, RouteHandlerMethod } from 'fastify';

/**
 * Handlers still running, counted per app. A stopping server waits for them, not only for open
 * connections: a client that gave up (a closed socket) leaves its handler running, and the database
 * must outlive it.
 */
export interface InFlight {
  readonly count: number;
  /** Resolves true once no handler runs, or false when `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean>;
}

const trackers = new WeakMap<FastifyInstance, InFlight>();

export function registerInFlight(app: FastifyInstance): InFlight {
  let count = 0;
  let idle: Array<() => void> = [];
  const tracker: InFlight = {
    get count() {
      return count;
    },
    drain: (timeoutMs) =>
      count === 0
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            idle.push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
  };
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (...args: unknown[]) => unknown;
    const done = () => {
      if (--count > 0) return;
      const waiting = idle;
      idle = [];
      for (const wake of waiting) wake();
    };
    // A handler's own return is passed on as it was (a synchronous handler stays synchronous).
    route.handler = function (this: unknown, ...args: unknown[]) {
      count++;
      let out: unknown;
      try {
        out = handler.apply(this, args);
      } catch (err) {
        done();
        throw err;
      }
      if (out instanceof Promise) out.then(done, done);
      else done();
      return out;
    } as RouteHandlerMethod;
  });
  trackers.set(app, tracker);
  return tracker;
}

/** The app's tracker (every app built by buildApp has one). */
export function inFlightOf(app: FastifyInstance): InFlight | undefined {
  return trackers.get(app);
}

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
    route.handler = async function (this: unknown, ...args: unknown[]) {
      count++;
      try {
        return await handler.apply(this, args);
      } finally {
        if (--count === 0) {
          const waiting = idle;
          idle = [];
          for (const wake of waiting) wake();
        }
      }
    } as RouteHandlerMethod;
  });
  trackers.set(app, tracker);
  return tracker;
}

/** The app's tracker (every app built by buildApp has one). */
export function inFlightOf(app: FastifyInstance): InFlight | undefined {
  return trackers.get(app);
}

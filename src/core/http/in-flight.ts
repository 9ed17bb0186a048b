import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { PendingWork } from '../pending-work.js';

/**
 * Handlers still running, per app. A stopping server waits for them, not only for open connections:
 * a client that gave up (a closed socket) leaves its handler running, and the database must outlive it.
 */
export interface InFlight {
  readonly count: number;
  /** Resolves true once no handler runs, or false when `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean>;
}

const trackers = new WeakMap<FastifyInstance, InFlight>();

export function registerInFlight(app: FastifyInstance): InFlight {
  const running = new PendingWork();
  const tracker: InFlight = {
    get count() {
      return running.size;
    },
    drain: (timeoutMs) => running.drain(timeoutMs),
  };
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (...args: unknown[]) => unknown;
    // A handler's own return is passed on as it was (a synchronous handler stays synchronous, and
    // has nothing to wait for).
    route.handler = function (this: unknown, ...args: unknown[]) {
      const out = handler.apply(this, args);
      if (out instanceof Promise) running.track(out);
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

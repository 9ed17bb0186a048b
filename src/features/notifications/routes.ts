import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';

/** Placeholder: the notifications endpoints. */
export function notificationRoutes(_deps: AppDeps) {
  return async (_app: FastifyInstance) => {};
}

import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';

/** Placeholder: the analytics endpoints. */
export function analyticsRoutes(_deps: AppDeps) {
  return async (_app: FastifyInstance) => {};
}

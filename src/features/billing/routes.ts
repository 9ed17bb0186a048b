import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';

/** Placeholder: the billing endpoints. */
export function billingRoutes(_deps: AppDeps) {
  return async (_app: FastifyInstance) => {};
}

import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../core/context.js';

/** Placeholder: the webhooks endpoints. */
export function webhookRoutes(_deps: AppDeps) {
  return async (_app: FastifyInstance) => {};
}

import type { FastifyInstance } from 'fastify';
import { invalid } from '../errors.js';

/** Path of the first string holding a NUL character, or null. PostgreSQL text cannot store NUL. */
function findNul(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], [...path, String(i)]);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findNul(v, [...path, k]);
      if (hit) return hit;
    }
  }
  return null;
}

/** Refuses NUL characters anywhere in a request's parameters with a 400 that names the parameter. */
export function registerRejectNul(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const hit = findNul(request.query) ?? findNul(request.body);
    if (hit) throw invalid(hit.join('.') || 'body', `Parameter ${hit.join('.') || 'body'} must not contain NUL characters.`);
  });
}

import { z } from 'zod';
import type { AuthMode } from './auth-hooks.js';

export const ErrorBodySchema = z
  .object({
    error: z.object({
      type: z.string().describe('Error category, e.g. invalid_request, not_found'),
      code: z.string().describe('Specific, stable code, e.g. missing_parameter'),
      message: z.string(),
      param: z.string().optional().describe('The parameter at fault, when there is one'),
      request_id: z.string(),
    }),
  })
  .meta({ id: 'Error' });

const ERRORS_BY_AUTH: Record<AuthMode, number[]> = {
  none: [400, 409, 429, 500],
  admin: [400, 401, 403, 404, 409, 429, 500],
  conversation: [400, 401, 403, 404, 409, 429, 500],
};

const SECURITY: Record<AuthMode, Array<Record<string, string[]>>> = {
  none: [],
  admin: [{ apiKey: [] }, { bearer: [] }],
  conversation: [{ apiKey: [] }, { bearer: [] }, { apiKeyParam: [] }],
};

/**
 * The OpenAPI parts every route shares: tag, summary, security and the error shapes its auth mode
 * can produce. Spread into a route's `schema` next to its own body/querystring and 200 response.
 */
export function describe<T extends z.ZodType>(opts: { tag: string; summary: string; auth: AuthMode; ok: T; description?: string; extraErrors?: number[] }) {
  const codes = [...new Set([...ERRORS_BY_AUTH[opts.auth], ...(opts.extraErrors ?? [])])].sort();
  const errors = Object.fromEntries(codes.map((c) => [c, ErrorBodySchema])) as Record<number, typeof ErrorBodySchema>;
  return {
    tags: [opts.tag],
    summary: opts.summary,
    ...(opts.description ? { description: opts.description } : {}),
    security: SECURITY[opts.auth],
    response: { 200: opts.ok, ...errors },
  };
}

/** Shared pieces of request schemas. */
export const Id = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${what} id (${prefix}_…)`);

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1-200 (default 50)'),
  cursor: z.string().max(200).optional().describe('next_cursor from the previous page'),
};

export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

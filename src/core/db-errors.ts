/** True when a PostgreSQL error is a unique violation (optionally on one named constraint or index). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}

/** Connection-level SQLSTATE classes: 08 (connection exception) and 57P0x (the server shutting down or starting). */
const UNAVAILABLE_SQLSTATES = /^(08\d{3}|57P0[1-3])$/;
const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when an error says the database could not be reached or went away (restarting, network cut),
 * not that the statement was wrong: the request may succeed if tried again shortly.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && (UNAVAILABLE_SQLSTATES.test(e.code) || UNAVAILABLE_NET_CODES.has(e.code))) return true;
  // node-postgres's own words for a connection lost mid-query and a pool that cannot connect in time.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '');
}

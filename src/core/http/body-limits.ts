/**
 * Request body limits, in bytes, declared once. Fastify refuses a body over its route's limit with a
 * 413 (from the declared Content-Length before reading anything, else as soon as the count passes it),
 * so a large body costs a caller only what fits under the limit of the endpoint it sends to.
 * Sizes are worst cases of the largest legitimate request, with JSON escaping room (a client that
 * escapes every non-ASCII character sends up to 6 bytes per character).
 */
export const BODY_LIMITS = {
  /** Unauthenticated sign-up and login: an email, a password, a name. */
  small: 16 * 1024,
  /** Every other JSON endpoint (the app-wide default): a 32,000-character prompt is the largest field. */
  standard: 256 * 1024,
  /**
   * Endpoints that take many items: a campaign audience of 10,000 user ids of up to 128 characters,
   * a tried-out conversation of 200 messages of up to 4,000 characters, an OpenAI client's history.
   */
  large: 8 * 1024 * 1024,
  /** import_conversation_history: 10,000 messages of up to 4,000 characters each. */
  history: 48 * 1024 * 1024,
} as const;

/** "16 KB", "8 MB": how a 413 names the limit. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

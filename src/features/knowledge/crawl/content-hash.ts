import { createHash } from 'node:crypto';

/**
 * The identity of a page's text, for skipping duplicates: the same article at two URLs, or with a
 * different amount of whitespace, hashes the same. sha256 hex.
 */
export function contentHash(markdown: string): string {
  return createHash('sha256').update(markdown.replace(/\s+/g, ' ').trim()).digest('hex');
}

import { invalid } from './errors.js';

/** Cursors are the last id of a page (ids sort by creation time), wrapped so clients treat them as opaque. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(id)) throw invalid('cursor', 'The cursor is not one this API returned.');
  return id;
}

/** Given limit+1 rows, returns the page and the cursor of the next one. */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => string): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(idOf(last)) : null };
}

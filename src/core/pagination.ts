import { invalid } from './errors.js';

/** Cursors are the last id (or sort key) of a page, wrapped so clients treat them as opaque. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[a-z]+_[0-9a-z]{26}$/.test(id)) throw invalid('cursor', 'The cursor is not one this API returned.');
  return id;
}

/** For lists ordered by a number (prompt versions). */
export function decodeNumberCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2_147_483_647) throw invalid('cursor', 'The cursor is not one this API returned.');
  return Number(text);
}

/** Given limit+1 rows, returns the page and the cursor of the next one. */
export function toPage<T>(rows: T[], limit: number, idOf: (row: T) => string): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(idOf(last)) : null };
}

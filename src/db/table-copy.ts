import type pg from 'pg';
import { ident, keyOrder, qualified, type Queryable, type Table } from './table-catalog.js';

/**
 * Session settings that make every value's text form the same on both sides: PGlite is PostgreSQL,
 * but the server's defaults (time zone, float digits) may differ from the embedded ones.
 */
export const STABLE_TEXT_SETTINGS = [
  `set timezone to 'UTC'`,
  `set datestyle to 'ISO, YMD'`,
  `set intervalstyle to 'postgres'`,
  `set extra_float_digits to 3`,
  `set bytea_output to 'hex'`,
];

export async function useStableText(q: Queryable): Promise<void> {
  for (const s of STABLE_TEXT_SETTINGS) await q.query(s);
}

/** Keys looked ahead per batch; the batch itself is cut at BATCH_BYTES of stored data. */
const LOOKAHEAD_ROWS = 1000;
/** Stored (possibly compressed) bytes per batch: a table of 25 MB files goes one or two rows at a time. */
const BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Copies one table, batch by batch in primary-key order (keyset paging, never OFFSET). Every value
 * travels in its text form and is cast back to its type on the target: the text form round-trips
 * exactly for every PostgreSQL type (it is what pg_dump's COPY uses), so jsonb, timestamptz, bytea,
 * arrays, enums, intervals and vectors need no code of their own. Generated columns are left to the
 * target to compute. Returns the number of rows copied.
 */
export async function copyTable(
  source: Queryable,
  target: Queryable,
  table: Table,
  onBatch?: (rows: number) => void,
  batchBytes = BATCH_BYTES,
): Promise<number> {
  if (!table.primaryKey.length) throw new Error(`${qualified(table)} has no primary key: its rows cannot be copied in a stable order`);
  const from = qualified(table);
  const pk = table.primaryKey;
  const order = keyOrder(table);
  const keyTuple = (offset: number) => pk.map((c, i) => `$${offset + i + 1}::${c.type}${c.collatable ? ' collate "C"' : ''}`).join(', ');
  const rowKey = `row(${order})`;
  const size = table.columns.map((c) => `coalesce(pg_column_size(${ident(c.name)}), 0)`).join(' + ');
  const copied = table.columns.filter((c) => !c.generated);
  const insert =
    `insert into ${from} (${copied.map((c) => ident(c.name)).join(', ')})` +
    (copied.some((c) => c.identityAlways) ? ' overriding system value' : '') +
    ` select ${copied.map((c, i) => `x.c${i}::${c.type}`).join(', ')}` +
    ` from unnest(${copied.map((_, i) => `$${i + 1}::text[]`).join(', ')}) as x(${copied.map((_, i) => `c${i}`).join(', ')})`;

  let after: string[] | null = null;
  let total = 0;
  for (;;) {
    const ahead: pg.QueryResult<{ key: string[]; size: number }> = await source.query<{ key: string[]; size: number }>(
      `select array[${pk.map((c) => `${ident(c.name)}::text`).join(', ')}] as key, ${size} as size from ${from}
       ${after ? `where ${rowKey} > row(${keyTuple(0)})` : ''} order by ${order} limit ${LOOKAHEAD_ROWS}`,
      after ?? [],
    );
    if (!ahead.rows.length) return total;
    // At least one row, however large; then as many as fit in the budget.
    let end = 1;
    let bytes = Number(ahead.rows[0]!.size);
    while (end < ahead.rows.length && bytes + Number(ahead.rows[end]!.size) <= batchBytes) bytes += Number(ahead.rows[end++]!.size);
    const until: string[] = ahead.rows[end - 1]!.key;

    const where = [after ? `${rowKey} > row(${keyTuple(0)})` : null, `${rowKey} <= row(${keyTuple(after ? pk.length : 0)})`].filter(Boolean).join(' and ');
    const batch = await source.query<Record<string, string | null>>({
      text: `select ${copied.map((c, i) => `${ident(c.name)}::text as c${i}`).join(', ')} from ${from} where ${where} order by ${order}`,
      values: [...(after ?? []), ...until],
    });
    if (batch.rows.length) {
      await target.query(insert, copied.map((_, i) => batch.rows.map((r) => r[`c${i}`] ?? null)));
      total += batch.rows.length;
      onBatch?.(total);
    }
    after = until;
  }
}

/** Sequences continue where the source's stopped, so new rows never reuse a copied id. */
export async function copySequences(source: Queryable, target: Queryable, schemas: string[]): Promise<number> {
  const { rows } = await source.query<{ schema: string; name: string; last: string }>(
    `select schemaname as schema, sequencename as name, last_value::text as last from pg_sequences where schemaname = any($1) and last_value is not null`,
    [schemas],
  );
  for (const s of rows) await target.query(`select setval($1, $2::bigint, true)`, [qualified(s), s.last]);
  return rows.length;
}

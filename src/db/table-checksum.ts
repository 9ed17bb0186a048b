import { ident, keyOrder, qualified, tableKey, type Queryable, type Table } from './table-catalog.js';

export interface TableSum {
  rows: number;
  checksum: string;
}

export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number;
  match: boolean;
}

/**
 * A table's row count and a checksum of its content, by SQL that gives the same answer on PGlite and
 * PostgreSQL: each row's text form (columns by name, so column order does not matter; generated
 * columns included) is hashed, and the hashes are hashed in primary-key order under the "C"
 * collation. Hashing rows first keeps the aggregate small whatever the rows hold. The session must
 * use STABLE_TEXT_SETTINGS, or time stamps are written in each side's own time zone.
 */
export async function tableChecksum(q: Queryable, table: Table): Promise<TableSum> {
  const columns = [...table.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((c) => ident(c.name));
  const order = table.primaryKey.length ? keyOrder(table) : `md5(row(${columns.join(', ')})::text)`;
  const { rows } = await q.query<{ rows: number | string; checksum: string }>(
    `select count(*) as rows, md5(coalesce(string_agg(md5(row(${columns.join(', ')})::text), '' order by ${order}), '')) as checksum
     from ${qualified(table)}`,
  );
  return { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum };
}

/** Both sides' counts and checksums, table by table. */
export async function compareTables(source: Queryable, target: Queryable, tables: Table[]): Promise<TableCheck[]> {
  const checks: TableCheck[] = [];
  for (const table of tables) {
    const [a, b] = [await tableChecksum(source, table), await tableChecksum(target, table)];
    checks.push({ table: tableKey(table), sourceRows: a.rows, targetRows: b.rows, match: a.rows === b.rows && a.checksum === b.checksum });
  }
  return checks;
}

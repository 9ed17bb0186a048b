import type pg from 'pg';

/** A client of either side of a data move: PGlite through its pool, or PostgreSQL. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface Column {
  name: string;
  /** As `format_type` spells it, usable in a cast (`text[]`, `pgboss.job_state`, `vector`). */
  type: string;
  /** Computed by the database (`generated always as … stored`): never inserted, but checksummed. */
  generated: boolean;
  /** `generated always as identity`: an insert must say `overriding system value`. */
  identityAlways: boolean;
  /** Ordered with `collate "C"`, so both sides sort alike whatever their locale. */
  collatable: boolean;
}

export interface Table {
  schema: string;
  name: string;
  columns: Column[];
  primaryKey: Column[];
}

export interface ForeignKey {
  name: string;
  from: string;
  to: string;
  deferrable: boolean;
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
export const tableKey = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/** `a collate "C", b` — the one order both keyset paging and checksums use. */
export const keyOrder = (t: Table, prefix = '') => t.primaryKey.map((c) => `${prefix}${ident(c.name)}${c.collatable ? ' collate "C"' : ''}`).join(', ');

/**
 * Ordinary and partitioned tables of the given schemas, partitions left out: a partitioned table is
 * read and written through its parent, which routes rows to the partitions.
 */
export async function listTables(q: Queryable, schemas: string[]): Promise<Table[]> {
  const { rows } = await q.query<{ oid: number; schema: string; name: string }>(
    `select c.oid::int as oid, n.nspname as schema, c.relname as name
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition
     order by n.nspname, c.relname`,
    [schemas],
  );
  const tables: Table[] = [];
  for (const r of rows) {
    const cols = await q.query<Column & { pk: number | null }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attgenerated <> '' as generated,
              a.attidentity = 'a' as "identityAlways", a.attcollation <> 0 as collatable,
              (select k.ord::int from pg_index i, unnest(i.indkey) with ordinality k(attnum, ord)
               where i.indrelid = a.attrelid and i.indisprimary and k.attnum = a.attnum) as pk
       from pg_attribute a
       where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
       order by a.attnum`,
      [r.oid],
    );
    const columns = cols.rows.map(({ pk: _pk, ...c }) => c);
    const primaryKey = cols.rows
      .filter((c) => c.pk !== null)
      .sort((a, b) => a.pk! - b.pk!)
      .map(({ pk: _pk, ...c }) => c);
    tables.push({ schema: r.schema, name: r.name, columns, primaryKey });
  }
  return tables;
}

export async function listForeignKeys(q: Queryable, schemas: string[]): Promise<ForeignKey[]> {
  const { rows } = await q.query<ForeignKey>(
    `select c.conname as name, fn.nspname || '.' || f.relname as "from", tn.nspname || '.' || t.relname as "to", c.condeferrable as deferrable
     from pg_constraint c
     join pg_class f on f.oid = c.conrelid join pg_namespace fn on fn.oid = f.relnamespace
     join pg_class t on t.oid = c.confrelid join pg_namespace tn on tn.oid = t.relnamespace
     where c.contype = 'f' and fn.nspname = any($1) and not f.relispartition and c.conparentid = 0`,
    [schemas],
  );
  return rows;
}

/**
 * Referenced tables before the tables that reference them (Kahn's algorithm). What a cycle or a
 * self-reference leaves unordered is returned with the keys that must be checked at commit instead.
 */
export function dependencyOrder(tables: Table[], keys: ForeignKey[]): { order: Table[]; lateKeys: ForeignKey[] } {
  const byKey = new Map(tables.map((t) => [tableKey(t), t]));
  const edges = keys.filter((k) => k.from !== k.to && byKey.has(k.from) && byKey.has(k.to));
  const waiting = new Map(tables.map((t) => [tableKey(t), new Set(edges.filter((e) => e.from === tableKey(t)).map((e) => e.to))]));
  const order: Table[] = [];
  for (;;) {
    const ready = [...waiting].filter(([, deps]) => deps.size === 0).map(([k]) => k);
    if (!ready.length) break;
    for (const k of ready) {
      waiting.delete(k);
      order.push(byKey.get(k)!);
      for (const deps of waiting.values()) deps.delete(k);
    }
  }
  for (const k of waiting.keys()) order.push(byKey.get(k)!);
  const position = new Map(order.map((t, i) => [tableKey(t), i]));
  const lateKeys = keys.filter((k) => byKey.has(k.from) && byKey.has(k.to) && position.get(k.to)! >= position.get(k.from)!);
  return { order, lateKeys };
}

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { notFound } from '../../core/errors.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, type ArchiveHeader } from './archive-format.js';
import { TABLES, type TableSpec } from './archive-tables.js';

const PAGE_SIZE = 500;

export interface ExportSummary {
  account_id: string;
  exported_at: string;
  schema: string;
  rows: Record<string, number>;
}

/**
 * Writes one account's archive, gzip'd, to `out` (a file, stdout, a response). Everything is read in one
 * read-only REPEATABLE READ transaction, so the archive is one consistent snapshot (no message without
 * its conversation); tables are read page by page on their key, so a large account is never in memory
 * at once, and the gzip stream's back-pressure paces the reads.
 *
 * Holding the snapshot holds a connection: on the embedded database (one connection) other requests
 * wait meanwhile, which is why the download endpoint writes to a file first and sends that.
 */
export async function exportAccountArchive(db: Kysely<DB>, accountId: string, out: Writable): Promise<ExportSummary> {
  const gzip = createGzip();
  const piped = pipeline(gzip, out);
  // Awaited below; handled here too, so a client that goes away mid-write is not an unhandled rejection.
  piped.catch(() => undefined);
  const hash = createHash('sha256');
  const write = async (value: unknown) => {
    const line = `${JSON.stringify(value)}\n`;
    hash.update(line);
    if (gzip.write(line)) return;
    const drained = once(gzip, 'drain');
    drained.catch(() => undefined);
    await Promise.race([drained, piped]);
  };
  try {
    const summary = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const account = await trx.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
        if (!account) throw notFound('account', 'account');
        const schema = await latestMigration(trx);
        const exportedAt = new Date().toISOString();
        const header: ArchiveHeader = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, exported_at: exportedAt, schema, account_id: accountId, tables: TABLES.map((t) => t.name) };
        await write(header);
        const rows: Record<string, number> = {};
        for (const spec of TABLES) {
          let count = 0;
          for await (const row of tableRows(trx, spec, accountId)) {
            await write({ t: spec.name, r: row });
            count++;
          }
          rows[spec.name] = count;
        }
        return { account_id: accountId, exported_at: exportedAt, schema, rows };
      });
    gzip.end(`${JSON.stringify({ end: true, rows: summary.rows, sha256: hash.digest('hex') })}\n`);
    await piped;
    return summary;
  } catch (err) {
    gzip.destroy(err as Error);
    await piped.catch(() => undefined);
    throw err;
  }
}

async function latestMigration(trx: Transaction<DB>): Promise<string> {
  const { rows } = await sql<{ name: string }>`select name from schema_migrations order by name desc limit 1`.execute(trx);
  return rows[0]?.name ?? 'none';
}

/** The account's rows of one table, page by page in key order, as JSON-ready values. */
async function* tableRows(trx: Transaction<DB>, spec: TableSpec, accountId: string): AsyncGenerator<Record<string, unknown>> {
  const overrides = spec.select?.(accountId) ?? {};
  const columns = sql.join(
    spec.columns.map((c) => {
      if (overrides[c]) return sql`${overrides[c]} as ${sql.ref(c)}`;
      if (spec.dates?.includes(c)) return sql`to_char(${sql.ref(`t.${c}`)}, 'YYYY-MM-DD') as ${sql.ref(c)}`;
      return sql.ref(`t.${c}`);
    }),
  );
  const size = spec.pageSize ?? PAGE_SIZE;
  const keyRefs = sql.join(spec.key.map((k) => sql.ref(`t.${k}`)));
  let after: unknown[] | null = null;
  for (;;) {
    const keyset: ReturnType<typeof sql> = after ? sql`and (${keyRefs}) > (${sql.join(after)})` : sql``;
    const order = spec.key.length ? sql`order by ${keyRefs} limit ${size}` : sql``;
    const { rows } = await sql<Record<string, unknown>>`select ${columns} from ${spec.scope(accountId)} ${keyset} ${order}`.execute(trx);
    for (const row of rows) yield toJson(spec, row);
    if (!spec.key.length || rows.length < size) return;
    const last = rows[rows.length - 1]!;
    after = spec.key.map((k) => last[k]);
  }
}

function toJson(spec: TableSpec, row: Record<string, unknown>): Record<string, unknown> {
  for (const c of spec.bytea ?? []) if (Buffer.isBuffer(row[c])) row[c] = (row[c] as Buffer).toString('base64');
  return row;
}

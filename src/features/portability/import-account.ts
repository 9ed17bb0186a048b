import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { sql, type Kysely, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import { issueKey } from '../../core/auth/keys.js';
import { migrations } from '../../db/migrations/index.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveError, ArchiveHeader, ArchiveRow, ArchiveTrailer } from './archive-format.js';
import { TABLES, type TableSpec } from './archive-tables.js';
import { IdRemapper } from './id-remap.js';
import { FIXUPS, type ImportNotes } from './import-fixups.js';
import { auditRow, SYSTEM_ACTOR } from '../../core/audit.js';

const BATCH_ROWS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

export interface ImportReport extends ImportNotes {
  account_id: string;
  email: string;
  /** The new account's first admin key, shown once (the archive holds no keys and no password). */
  key_id: string;
  api_key: string;
  from_account_id: string;
  exported_at: string;
  rows: Record<string, number>;
}

export interface ImportOptions {
  db: Kysely<DB>;
  config: Config;
  /** The archive's bytes (gzip'd JSON lines, see archive-format.ts). */
  input: Readable;
  /** The new account's email; by default the archived account's, if no account here has it. */
  email?: string | undefined;
}

/**
 * Loads an archive as a new account: fresh ids for everything (id-remap.ts), references remapped the
 * same way, all in one transaction. The archive is checked as it is read (format, version, schema,
 * tables in order, known columns only, row counts and checksum in the trailer); anything wrong rolls
 * the whole import back with an ArchiveError that says what.
 */
export async function importAccountArchive(opts: ImportOptions): Promise<ImportReport> {
  const lines = readLines(opts.input);
  try {
    return await importLines(opts, lines);
  } finally {
    await lines.return(undefined);
  }
}

async function importLines(opts: ImportOptions, lines: AsyncGenerator<string>): Promise<ImportReport> {
  const hash = createHash('sha256');
  const first = await lines.next();
  if (first.done) throw new ArchiveError('the archive is empty');
  const header = parseHeader(first.value);
  hash.update(`${first.value}\n`);

  const remap = new IdRemapper();
  const now = new Date();
  const report: ImportReport = { account_id: '', email: '', key_id: '', api_key: '', from_account_id: header.account_id, exported_at: header.exported_at, rows: {}, webhooks: [], notes: [] };

  await opts.db.transaction().execute(async (trx) => {
    let tableIndex = 0;
    let batch: Record<string, unknown>[] = [];
    let batchBytes = 0;
    let trailer: z.infer<typeof ArchiveTrailer> | null = null;

    const flush = async () => {
      const spec = TABLES[tableIndex]!;
      if (!batch.length) return;
      const rows = await FIXUPS[spec.name]?.(batch, { trx, config: opts.config, now, report }) ?? batch;
      batch = [];
      batchBytes = 0;
      if (!rows.length) return;
      try {
        await trx.insertInto(spec.name as 'bots').values(rows as never).execute();
      } catch (err) {
        throw new ArchiveError(`the archive's ${spec.name} do not fit this server's database: ${(err as Error).message}`);
      }
    };

    for (let n = 2; ; n++) {
      const next = await lines.next();
      if (next.done) break;
      const line = next.value;
      if (!line) continue;
      if (trailer) throw new ArchiveError(`line ${n}: data after the archive's last line`);
      const value = parseJson(line, n);
      if (value && typeof value === 'object' && 'end' in value) {
        trailer = parseWith(ArchiveTrailer, value, `line ${n} (the trailer)`);
        continue;
      }
      hash.update(`${line}\n`);
      const row = parseWith(ArchiveRow, value, `line ${n}`);
      const at = TABLES.findIndex((t) => t.name === row.t);
      if (at < tableIndex) throw new ArchiveError(`line ${n}: ${row.t} rows come after ${TABLES[tableIndex]!.name} rows; tables are out of order`);
      if (at > tableIndex) {
        await flush();
        tableIndex = at;
      }
      const spec = TABLES[at]!;
      report.rows[spec.name] = (report.rows[spec.name] ?? 0) + 1;
      if (spec.name === 'accounts') {
        if (report.account_id) throw new ArchiveError(`line ${n}: a second account`);
        await createAccount(trx, row.r, opts.email, remap, report);
        continue;
      }
      if (!report.account_id) throw new ArchiveError(`line ${n}: the archive has no account line before its data`);
      batch.push(toRow(spec, row.r, remap, report.account_id, n));
      batchBytes += line.length;
      if (batch.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();

    if (!trailer) throw new ArchiveError('the archive is truncated: its last line (row counts and checksum) is missing');
    if (trailer.sha256 !== hash.digest('hex')) throw new ArchiveError('the archive is corrupt or was edited: its checksum does not match its contents');
    for (const spec of TABLES) {
      const want = trailer.rows[spec.name] ?? 0;
      if (want !== (report.rows[spec.name] ?? 0)) throw new ArchiveError(`the archive is incomplete: ${want} ${spec.name} rows announced, ${report.rows[spec.name] ?? 0} found`);
    }
    if (!report.account_id) throw new ArchiveError('the archive holds no account');

    await rebuildTerms(trx, report.account_id);
    const details = { from_account_id: header.account_id, exported_at: header.exported_at, schema: header.schema, rows: report.rows };
    await trx.insertInto('audit_logs').values(auditRow(report.account_id, SYSTEM_ACTOR, { action: 'account.imported', objectType: 'account', objectId: report.account_id, details })).execute();
  });
  return report;
}

function parseHeader(line: string): ArchiveHeader {
  const value = parseJson(line, 1) as Record<string, unknown> | null;
  if (!value || typeof value !== 'object' || value.format !== ARCHIVE_FORMAT) throw new ArchiveError(`not a sinth account archive (its first line should say format "${ARCHIVE_FORMAT}")`);
  if (value.version !== ARCHIVE_VERSION) throw new ArchiveError(`archive version ${JSON.stringify(value.version)} is not supported: this server reads version ${ARCHIVE_VERSION}`);
  const header = parseWith(ArchiveHeader, value, 'the header');
  if (!Object.hasOwn(migrations, header.schema)) throw new ArchiveError(`the archive comes from a server with a newer database schema (${header.schema}): upgrade this server first`);
  const unknown = header.tables.filter((t) => !TABLES.some((s) => s.name === t));
  if (unknown.length) throw new ArchiveError(`the archive has tables this server does not know: ${unknown.join(', ')}`);
  return header;
}

const Email = z.email().max(254);

async function createAccount(trx: Transaction<DB>, archived: Record<string, unknown>, given: string | undefined, remap: IdRemapper, report: ImportReport): Promise<void> {
  const email = (given ?? (typeof archived.email === 'string' ? archived.email : '')).trim();
  if (!email) throw new ArchiveError('the archived account has no email (a trial account): give the new account one with --email');
  if (!Email.safeParse(email).success) throw new ArchiveError(`"${email}" is not an email address`);
  const normalized = email.toLowerCase();
  const taken = await trx.selectFrom('accounts').select('id').where('email_normalized', '=', normalized).executeTakeFirst();
  if (taken) throw new ArchiveError(`an account with the email ${email} exists on this server already: give the new account another one with --email`);
  if (typeof archived.id !== 'string') throw new ArchiveError('the archived account has no id');
  const accountId = remap.id(archived.id);
  // No password travels (its hash is secret material): the owner starts with an admin key.
  await trx
    .insertInto('accounts')
    .values({ id: accountId, kind: 'standard', email, email_normalized: normalized, password_hash: null, name: typeof archived.name === 'string' ? archived.name : null, ...(typeof archived.created_at === 'string' ? { created_at: archived.created_at } : {}) } as never)
    .execute();
  const key = await issueKey(trx, { accountId, name: 'Imported account key', kind: 'api', scope: 'admin' });
  Object.assign(report, { account_id: accountId, email, key_id: key.keyId, api_key: key.key });
}

/** An archived row as an insert: known columns only, ids remapped, JSON and bytes in their column types. */
function toRow(spec: TableSpec, raw: Record<string, unknown>, remap: IdRemapper, accountId: string, line: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(raw)) {
    if (!spec.columns.includes(column)) throw new ArchiveError(`line ${line}: ${spec.name} has no column "${column}" in an archive`);
    if (value === null || value === undefined) {
      out[column] = null;
    } else if (spec.json?.includes(column)) {
      out[column] = JSON.stringify(remap.json(value));
    } else if (spec.ids?.includes(column) || spec.embedded?.includes(column) || spec.bytea?.includes(column)) {
      if (typeof value !== 'string') throw new ArchiveError(`line ${line}: ${spec.name}.${column} must be a string`);
      out[column] = spec.ids?.includes(column) ? remap.id(value) : spec.embedded?.includes(column) ? remap.embedded(value) : Buffer.from(value, 'base64');
    } else {
      out[column] = value;
    }
  }
  for (const k of spec.key) if (out[k] === undefined || out[k] === null) throw new ArchiveError(`line ${line}: ${spec.name} row without its ${k}`);
  if (spec.account) out.account_id = accountId;
  return out;
}

/** The bots' dictionaries of words (knowledge_terms), from their imported passages, as migration 0010 builds them. */
async function rebuildTerms(trx: Transaction<DB>, accountId: string): Promise<void> {
  await sql`
    insert into knowledge_terms (bot_id, term)
    select distinct c.bot_id, w
    from knowledge_chunks c, unnest(tsvector_to_array(c.tsv)) w
    where c.bot_id in (select id from bots where account_id = ${accountId}) and length(w) between 4 and 64
    on conflict do nothing`.execute(trx);
}

function parseJson(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ArchiveError(n === 1 ? 'not a sinth account archive (its first line is not JSON)' : `line ${n} is not JSON: the archive is corrupt`);
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ArchiveError(`${where} is malformed: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}

/** The archive's lines, decompressed as they are read; a file that is not gzip, or is cut, is an ArchiveError. */
async function* readLines(input: Readable): AsyncGenerator<string> {
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  gunzip.setEncoding('utf8');
  // Pieces of the line being read: a long line (a stored file) is joined once, not rescanned per chunk.
  let pending: string[] = [];
  try {
    for await (const chunk of gunzip as AsyncIterable<string>) {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        pending.push(chunk.slice(start, end));
        yield pending.join('');
        pending = [];
        start = end + 1;
      }
      if (start < chunk.length) pending.push(chunk.slice(start));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new ArchiveError(`the archive is not a readable gzip file (${(err as Error).message})`);
    throw err;
  } finally {
    input.unpipe(gunzip);
    gunzip.destroy();
  }
  if (pending.length) yield pending.join('');
}

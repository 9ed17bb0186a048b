import { createReadStream, createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { openDatabase, type DatabaseHandle } from '../../db/database.js';
import { migrationsApplied } from '../../db/migrate.js';
import { ArchiveError } from './archive-format.js';
import { exportAccountArchive } from './export-account.js';
import { recordExport } from './export-service.js';
import { importAccountArchive, type ImportReport } from './import-account.js';

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** `sinth export --account <id> [--out <file>]`: the archive to the file, or to stdout. */
export async function runExport(args: string[], config: Config, io: Io = processIo): Promise<number> {
  const { values } = parseArgs({ args, options: { account: { type: 'string' }, out: { type: 'string' } } });
  if (!values.account) {
    io.stderr.write('usage: sinth export --account <account id> [--out <file>]\n');
    return 2;
  }
  return withDatabase(config, io, async (database) => {
    const out = values.out ? createWriteStream(values.out, { mode: 0o600 }) : (io.stdout as NodeJS.WritableStream & import('node:stream').Writable);
    const summary = await exportAccountArchive(database.db, values.account!, out);
    await recordExport(database.db, summary, { actorType: 'system', actorId: null });
    const total = Object.values(summary.rows).reduce((a, b) => a + b, 0);
    io.stderr.write(`exported account ${summary.account_id}: ${total} rows${values.out ? ` to ${values.out}` : ''}\n`);
    return 0;
  });
}

/** `sinth import <file> [--email <address>]`: the archive as a new account; prints its admin key once. */
export async function runImport(args: string[], config: Config, io: Io = processIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { email: { type: 'string' } } });
  if (positionals.length !== 1) {
    io.stderr.write('usage: sinth import <file> [--email <new account email>]\n');
    return 2;
  }
  return withDatabase(config, io, async (database) => {
    const input = positionals[0] === '-' ? process.stdin : createReadStream(positionals[0]!);
    const report = await importAccountArchive({ db: database.db, config, input, email: values.email });
    io.stdout.write(describeImport(report));
    return 0;
  });
}

async function withDatabase(config: Config, io: Io, work: (database: DatabaseHandle) => Promise<number>): Promise<number> {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    if (!(await migrationsApplied(database.db))) {
      io.stderr.write('the database is not migrated: run `sinth migrate` first\n');
      return 1;
    }
    return await work(database);
  } catch (err) {
    if (err instanceof ArchiveError) {
      io.stderr.write(`sinth: ${err.message}; nothing was imported\n`);
      return 1;
    }
    if ((err as { code?: string }).code === 'ENOENT') {
      io.stderr.write(`sinth: ${(err as Error).message}\n`);
      return 1;
    }
    if ((err as { type?: string }).type === 'not_found') {
      io.stderr.write('sinth: no such account\n');
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

function describeImport(r: ImportReport): string {
  const rows = Object.entries(r.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
  const lines = [
    `imported account ${r.account_id} (${r.email}) from account ${r.from_account_id}, exported ${r.exported_at}`,
    `rows: ${rows}`,
    `admin API key (shown once; the account has no password, sign in with this key): ${r.api_key}`,
    ...r.webhooks.map((w) => `webhook ${w.webhook_id} ${w.url}: new signing secret (shown once) ${w.secret}`),
    ...r.notes.map((n) => `note: ${n}`),
    'note: passage vectors are not carried over; with EMBEDDING_MODEL set, refresh_source embeds a source again (full-text search works at once)',
  ];
  return `${lines.join('\n')}\n`;
}

import { createReadStream, createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { SYSTEM_ACTOR } from '../../core/audit.js';
import { processIo, withCliDatabase, type Io } from '../../db/cli-database.js';
import { ArchiveError } from './archive-format.js';
import { exportAccountArchive } from './export-account.js';
import { recordExport } from './export-service.js';
import { importAccountArchive, type ImportReport } from './import-account.js';

/** `sinth export --account <id> [--out <file>]`: the archive to the file, or to stdout. */
export async function runExport(args: string[], config: Config, io: Io = processIo): Promise<number> {
  const { values } = parseArgs({ args, options: { account: { type: 'string' }, out: { type: 'string' } } });
  if (!values.account) {
    io.stderr.write('usage: sinth export --account <account id> [--out <file>]\n');
    return 2;
  }
  return withCliDatabase(config, io, async (database) => {
    const out = values.out ? createWriteStream(values.out, { mode: 0o600 }) : (io.stdout as NodeJS.WritableStream & import('node:stream').Writable);
    const summary = await exportAccountArchive(database.db, values.account!, out);
    await recordExport(database.db, summary, SYSTEM_ACTOR);
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
  const nothingImported = (err: unknown) => (err instanceof ArchiveError ? `${err.message}; nothing was imported` : undefined);
  return withCliDatabase(config, io, async (database) => {
    const input = positionals[0] === '-' ? process.stdin : createReadStream(positionals[0]!);
    const report = await importAccountArchive({ db: database.db, config, input, email: values.email });
    io.stdout.write(describeImport(report));
    return 0;
  }, nothingImported);
}

function describeImport(r: ImportReport): string {
  const rows = Object.entries(r.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ');
  const lines = [
    `imported account ${r.account_id} (${r.email}) from account ${r.from_account_id}, exported ${r.exported_at}`,
    `rows: ${rows}`,
    `admin API key (shown once; the account has no password until "sinth set-password --email ${r.email}" gives it one): ${r.api_key}`,
    ...r.webhooks.map((w) => `webhook ${w.webhook_id} ${w.url}: new signing secret (shown once) ${w.secret}`),
    ...r.notes.map((n) => `note: ${n}`),
    'note: passage vectors are not carried over; with EMBEDDING_MODEL set, refresh_source embeds a source again (full-text search works at once)',
  ];
  return `${lines.join('\n')}\n`;
}

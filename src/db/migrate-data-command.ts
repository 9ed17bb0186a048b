import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { migrateData, MigrateDataError } from './migrate-data.js';
import type { TableCheck } from './table-checksum.js';

export const MIGRATE_DATA_USAGE = 'usage: sinth migrate-data --to <postgres://user:password@host:5432/database>\n';

type Out = { write(s: string): unknown };

/**
 * `sinth migrate-data --to <url>`: moves DATA_DIR's embedded database into an empty PostgreSQL
 * database. 0 when every table matches, 1 on a refusal, a failure or a mismatch, 2 on bad arguments.
 */
export async function runMigrateData(args: string[], config: Pick<Config, 'DATA_DIR' | 'JOBS_SCHEMA'>, out: Out = process.stdout, err: Out = process.stderr): Promise<number> {
  let to: string | undefined;
  try {
    ({ to } = parseArgs({ args, options: { to: { type: 'string' } } }).values);
  } catch (e) {
    err.write(`${(e as Error).message}\n${MIGRATE_DATA_USAGE}`);
    return 2;
  }
  if (!to || !/^postgres(ql)?:\/\/./.test(to)) {
    err.write(`--to must be a postgres:// URL\n${MIGRATE_DATA_USAGE}`);
    return 2;
  }
  out.write(`moving ${config.DATA_DIR}/pgdata into ${redact(to)}\n`);
  try {
    const result = await migrateData({ dataDir: config.DATA_DIR, targetUrl: to, jobsSchema: config.JOBS_SCHEMA, onProgress: (m) => out.write(`${m}\n`) });
    out.write(formatChecks(result.checks));
    if (!result.ok) {
      err.write('sinth: the copy does not match the data directory (see above): do not use the target; drop it and run migrate-data again\n');
      return 1;
    }
    out.write(
      `done: ${result.checks.length} tables copied and verified.\n` +
        'Next: run sinth with DATABASE_URL set to the target. Keep the same SECRET_KEY (unless set, it is in DATA_DIR/secret.key): it decrypts the stored provider credentials.\n',
    );
    return 0;
  } catch (e) {
    // A refusal, or the database's own error (unreachable, wrong password, a value refused): the
    // message says it; a stack would only bury it. Anything else is a bug and keeps its stack.
    if (!(e instanceof MigrateDataError) && (e as { code?: unknown }).code === undefined) throw e;
    err.write(`sinth: ${(e as Error).message}\n`);
    return 1;
  }
}

export function formatChecks(checks: TableCheck[]): string {
  const width = Math.max(5, ...checks.map((c) => c.table.length));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(width)}  ${b.padStart(11)}  ${c.padStart(11)}  ${d}\n`;
  return line('table', 'source rows', 'target rows', 'checksum') + checks.map((c) => line(c.table, String(c.sourceRows), String(c.targetRows), c.match ? 'match' : 'MISMATCH')).join('');
}

/** The URL without its password, for the progress line. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(the --to database)';
  }
}

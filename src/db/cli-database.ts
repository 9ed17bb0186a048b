import type { Config } from '../config.js';
import { DomainError } from '../core/errors.js';
import { openDatabase, type DatabaseHandle } from './database.js';
import { migrationsApplied } from './migrate.js';

export type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/**
 * A one-off command's database: opened from config, refused unless migrated, closed afterwards. A
 * failure the user can act on (a domain error, a missing file, or one `explain` words) is printed as
 * one line with exit code 1; anything else is thrown with its stack.
 */
export async function withCliDatabase(
  config: Config,
  io: Io,
  work: (database: DatabaseHandle) => Promise<number>,
  explain: (err: unknown) => string | undefined = () => undefined,
): Promise<number> {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    if (!(await migrationsApplied(database.db))) {
      io.stderr.write('the database is not migrated: run `sinth migrate` first\n');
      return 1;
    }
    return await work(database);
  } catch (err) {
    const message = explain(err) ?? (err instanceof DomainError || (err as { code?: string }).code === 'ENOENT' ? (err as Error).message : undefined);
    if (message !== undefined) {
      io.stderr.write(`sinth: ${message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

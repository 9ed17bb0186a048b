import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { runMigrateData } from './db/migrate-data-command.js';
import { runExport, runImport } from './features/portability/cli-commands.js';
import { runSetPassword } from './features/auth/cli-commands.js';
import { runCallSim } from './features/voice/simulator/call-sim-command.js';
import { startServer } from './main.js';

const USAGE = `usage: sinth <command> [options]

commands:
  serve [--role api|worker|all]   run the server (default role: all)
  migrate                         apply database migrations and exit
  migrate-data --to <postgres url>  move DATA_DIR's embedded database into an empty PostgreSQL
                                  database, then compare row counts and checksums
  export --account <id> [--out <file>]
                                  write an account's data (no secrets) as a gzip'd archive,
                                  to the file or to stdout
  import <file> [--email <address>]
                                  load an archive as a new account (fresh ids); prints its
                                  admin key and new webhook secrets once
  set-password --email <address>  set an account's password (read from stdin) and end its
                                  dashboard sessions: a forgotten password, an imported account
  call-sim --bot <id> [--provider sinch|twilio] [--url <server>] [--public-url <url>]
           [--from <E.164>] [--to <E.164>] [--api-key <admin key>]
                                  call a bot on a running server with simulated provider
                                  callbacks; type what the caller says
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);

  if (command === 'migrate') {
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    try {
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await database.close();
    }
    return 0;
  }

  if (command === 'serve') {
    const { values } = parseArgs({ args: rest, options: { role: { type: 'string', default: 'all' } } });
    if (!['api', 'worker', 'all'].includes(values.role!)) {
      process.stderr.write(`--role must be api, worker or all (got "${values.role}")\n`);
      return 2;
    }
    if (values.role !== 'all' && !config.DATABASE_URL) {
      process.stderr.write(`--role ${values.role} needs DATABASE_URL: the embedded database serves one process, so run --role all\n`);
      return 2;
    }
    // pg-boss 10 completes and fails jobs without awaiting it: with the database away for a moment
    // that rejection would kill the process. The job stays active, expires, and is retried, so the
    // right answer is to log it and carry on. Set before starting, which waits out an outage too.
    process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
    const server = await startServer(config, { role: values.role as 'api' | 'worker' | 'all', log });
    const stop = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      // close() ends what is under way within SHUTDOWN_GRACE_MS; should closing itself hang (a database
      // that does not answer), exit anyway a little later.
      setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 5_000).unref();
      await server.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    return -1; // keep running
  }

  if (command === 'export') return runExport(rest, config);
  if (command === 'import') return runImport(rest, config);

  if (command === 'set-password') return runSetPassword(rest, config);

  if (command === 'call-sim') return runCallSim(rest, undefined, { ...config, SINTH_API_KEY: process.env.SINTH_API_KEY });

  if (command === 'migrate-data') return runMigrateData(rest, config);

  process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`sinth: ${err.message}\n`);
    else process.stderr.write(`sinth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

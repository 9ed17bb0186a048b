import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './core/logger.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { runCallSim } from './features/voice/simulator/call-sim-command.js';
import { startServer } from './main.js';

const USAGE = `usage: sinth <command> [options]

commands:
  serve [--role api|worker|all]   run the server (default role: all)
  migrate                         apply database migrations and exit
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
    const server = await startServer(config, { role: values.role as 'api' | 'worker' | 'all', log });
    const stop = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      // In-flight requests and running jobs get a grace period; past it, exit anyway.
      setTimeout(() => process.exit(1), 30_000).unref();
      await server.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    return -1; // keep running
  }

  if (command === 'call-sim') return runCallSim(rest, undefined, { ...config, SINTH_API_KEY: process.env.SINTH_API_KEY });

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

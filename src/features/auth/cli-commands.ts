import { parseArgs } from 'node:util';
import type { Config } from '../../config.js';
import { processIo, withCliDatabase, type Io } from '../../db/cli-database.js';
import { setAccountPassword } from './password-reset.js';

/**
 * `sinth set-password --email <address>`, the new password on stdin (never an argument, which would
 * stay in shell history and show in `ps`): e.g. `read -rs P && printf %s "$P" | sinth set-password --email you@example.com`.
 */
export async function runSetPassword(args: string[], config: Config, io: Io = processIo, stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin): Promise<number> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' } } });
  if (!values.email) {
    io.stderr.write('usage: sinth set-password --email <address>   (the new password on stdin)\n');
    return 2;
  }
  if (stdin.isTTY) {
    io.stderr.write('sinth: pipe the new password on stdin, e.g. read -rs P && printf %s "$P" | sinth set-password --email …\n');
    return 2;
  }
  // One line: a trailing newline from echo or a file is not part of the password.
  const password = (await readAll(stdin)).replace(/\r?\n$/, '');
  return withCliDatabase(config, io, async (database) => {
    const { accountId, sessionsEnded } = await setAccountPassword(database.db, { email: values.email!, password });
    io.stdout.write(`password set for account ${accountId}; dashboard sessions ended: ${sessionsEnded}\n`);
    return 0;
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

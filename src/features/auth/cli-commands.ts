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
  const input = await readAtMost(stdin, MAX_INPUT_BYTES);
  if (input === null) {
    io.stderr.write(`sinth: the password on stdin is longer than ${MAX_INPUT_BYTES} bytes\n`);
    return 2;
  }
  const password = input.replace(/\r?\n$/, '');
  return withCliDatabase(config, io, async (database) => {
    const { accountId, sessionsEnded } = await setAccountPassword(database.db, { email: values.email!, password });
    io.stdout.write(`password set for account ${accountId}; dashboard sessions ended: ${sessionsEnded}\n`);
    return 0;
  });
}

/** Far above any password (the schema allows 256 characters), far below what `< /dev/zero` would pour in. */
const MAX_INPUT_BYTES = 4096;

/** The stream's text, or null once it passes `limit` bytes (reading stops there). */
async function readAtMost(stream: NodeJS.ReadableStream, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.from(chunk as Buffer);
    size += b.length;
    if (size > limit) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

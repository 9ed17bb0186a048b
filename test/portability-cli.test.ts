import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { startHarness, TEST_SECRET, uniqueEmail, type Harness } from './support/harness.js';

// `sinth import` and `sinth export` as an operator runs them: an archive downloaded from one server is
// imported into another database by the command, exported from there again, and the two agree.

const pgUrl = inject('postgresUrl');
const BIN = join(process.cwd(), 'bin', 'sinth.js');

function run(args: string[], env: Record<string, string>, stdin?: string) {
  return new Promise<{ code: number | null; stdout: string; bytes: Buffer; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', SECRET_KEY: TEST_SECRET, ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(stdin);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), bytes: Buffer.concat(out), stderr }));
  });
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('sinth export and sinth import', () => {
  it('imports a downloaded archive as a new account, prints its key once, and exports it again to stdout', async () => {
    const a = await h.signup();
    const bot = await h.createBot(a.key, { name: 'Travelling bot', prompt: 'You travel between servers.' });
    const res = await h.app.inject({ method: 'POST', url: '/export_account_data', headers: { 'api-key': a.key } });
    expect(res.statusCode).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'portability-cli-'));
    const file = join(dir, 'account.jsonl.gz');
    writeFileSync(file, res.rawPayload);

    const env = { DATA_DIR: dir, ...(pgUrl ? { DATABASE_URL: pgUrl } : {}) };
    if (!pgUrl) expect((await run(['migrate'], env)).code).toBe(0);
    const email = uniqueEmail();
    const imported = await run(['import', file, '--email', email], env);
    expect(imported.code, imported.stderr).toBe(0);
    const accountId = /imported account (acct_[0-9a-z]{26}) \(/.exec(imported.stdout)?.[1];
    expect(accountId).toBeDefined();
    expect(accountId).not.toBe(a.accountId);
    expect(imported.stdout).toContain(`(${email}) from account ${a.accountId}`);
    expect(imported.stdout).toMatch(/admin API key \(shown once[^)]*\): sk_[A-Za-z0-9_-]{20,}/);

    // The imported account has no password: the operator gives it one, on stdin.
    const setPassword = await run(['set-password', '--email', email.toUpperCase()], env, 'moved house safely\n');
    expect(setPassword.code, setPassword.stderr).toBe(0);
    expect(setPassword.stdout).toBe(`password set for account ${accountId}; dashboard sessions ended: 0\n`);
    const tooShort = await run(['set-password', '--email', email], env, 'short\n');
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/password must be at least 8 characters/);
    const flood = await run(['set-password', '--email', email], env, 'x'.repeat(5000));
    expect(flood.code).toBe(2);
    expect(flood.stderr).toMatch(/longer than 4096 bytes/);
    const unknown = await run(['set-password', '--email', uniqueEmail()], env, 'moved house safely\n');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No such account/);
    const database = await openDatabase({ databaseUrl: pgUrl ?? undefined, dataDir: dir });
    try {
      const row = await database.db.selectFrom('accounts').select('password_hash').where('id', '=', accountId!).executeTakeFirstOrThrow();
      expect(await verify(row.password_hash!, 'moved house safely')).toBe(true);
    } finally {
      await database.close();
    }

    // To stdout (the archive's bytes, nothing else), as `sinth export … > file` takes it.
    const exported = await run(['export', '--account', accountId!], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(new RegExp(`exported account ${accountId}: \\d+ rows`));
    const text = gunzipSync(exported.bytes).toString('utf8');
    expect(JSON.parse(text.split('\n')[0]!)).toMatchObject({ format: 'sinth-account', version: 1, account_id: accountId });
    expect(text).toContain('You travel between servers.');
    expect(text).not.toContain(bot.bot_id);
  }, 180_000);
});

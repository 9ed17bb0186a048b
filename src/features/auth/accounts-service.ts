import { hash, verify } from '@node-rs/argon2';
import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { sha256Hex } from '../../core/crypto.js';
import { isUniqueViolation } from '../../core/db-errors.js';
import { conflict, invalid, RateLimitedError, unauthenticated } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { issueKey } from '../../core/auth/keys.js';
import { hitRateLimit, refundRateLimit } from '../../core/rate-limit.js';
import type { CreateAccountInput, LoginInput } from './schemas.js';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Creates an account with its first admin key; a claim token moves a trial bot into it, all in one transaction. */
export async function createAccount({ ctx, input }: { ctx: ServiceContext; input: CreateAccountInput }) {
  const passwordHash = await hash(input.password);
  const accountId = newId('acct');
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('accounts')
        .values({ id: accountId, email: input.email.trim(), email_normalized: normalizeEmail(input.email), password_hash: passwordHash, name: input.name ?? null })
        .execute();
      const own = { ...ctx, accountId };
      const key = await issueKey(trx, { accountId, name: 'Default key', kind: 'api', scope: 'admin' });
      await writeAudit(trx, own, { action: 'account.created', objectType: 'account', objectId: accountId, details: { key_id: key.keyId } });
      const claimedBotId = input.claim_token ? await claimTrialBot(trx, own, input.claim_token) : null;
      return { account_id: accountId, key_id: key.keyId, api_key: key.key, claimed_bot_id: claimedBotId };
    });
  } catch (err) {
    if (isUniqueViolation(err, 'accounts_email_uq')) throw conflict('email_taken', 'An account with this email already exists.', 'email');
    throw err;
  }
}

/**
 * Every table whose rows a trial account can own. A trial account holds one bot and what it gathered;
 * whatever is not moved is deleted with the trial account (cascade), so a new table with an
 * `account_id` that a trial bot can fill belongs in this list.
 */
const TRIAL_OWNED_TABLES = ['bots', 'api_keys', 'conversations', 'messages', 'retrained_responses', 'end_users', 'outbox_events', 'feedback', 'audit_logs', 'usage_daily', 'knowledge_sources'] as const;

/**
 * Moves the bot made by /create_bot_before_login, and its conversation key (so an embedded widget keeps
 * working), out of its trial account into the new one, then drops the trial account.
 */
async function claimTrialBot(trx: Transaction<DB>, ctx: ServiceContext, token: string): Promise<string> {
  const bot = await trx
    .selectFrom('bots')
    .innerJoin('accounts', 'accounts.id', 'bots.account_id')
    .select(['bots.id', 'bots.account_id', 'accounts.expires_at'])
    .where('bots.claim_token_hash', '=', sha256Hex(token))
    .where('accounts.kind', '=', 'trial')
    .where('bots.deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!bot || (bot.expires_at && bot.expires_at.getTime() <= Date.now())) {
    throw invalid('claim_token', 'The claim token is invalid, already used or expired.', 'invalid_claim_token');
  }
  await trx.updateTable('bots').set({ claim_token_hash: null, updated_at: new Date() }).where('id', '=', bot.id).execute();
  for (const table of TRIAL_OWNED_TABLES) {
    await trx.updateTable(table).set({ account_id: ctx.accountId }).where('account_id', '=', bot.account_id).execute();
  }
  // The trial key expired with the trial; claimed, it lives on like any other key.
  await trx.updateTable('api_keys').set({ expires_at: null }).where('account_id', '=', ctx.accountId).where('kind', '=', 'api').where('expires_at', 'is not', null).execute();
  await trx.deleteFrom('accounts').where('id', '=', bot.account_id).execute();
  await writeAudit(trx, ctx, { action: 'bot.claimed', objectType: 'bot', objectId: bot.id, details: { from_trial_account: bot.account_id } });
  return bot.id;
}

const LOGIN_WINDOW_SECONDS = 15 * 60;
// A fixed hash to verify against when the email is unknown, so both cases take the same time.
const dummyHash = hash('not-a-real-password');

/** Exchanges email and password for a short-lived session token; failures are throttled per email and per IP. */
export async function login({ ctx, input }: { ctx: ServiceContext; input: LoginInput }) {
  const email = normalizeEmail(input.email);
  const max = ctx.config.LOGIN_MAX_FAILURES;
  const buckets = [
    { name: `login-fail:email:${sha256Hex(email)}`, max },
    { name: `login-fail:ip:${ctx.ip}`, max: max * 4 },
  ];
  // Every attempt is counted before the password is checked (so parallel guesses cannot slip past the
  // limit); a successful login gives its count back, so only failures add up.
  for (const b of buckets) {
    const state = await hitRateLimit(ctx.db, b.name, LOGIN_WINDOW_SECONDS, b.max);
    if (!state.allowed) throw new RateLimitedError('Too many failed logins; try again later.', state.resetSeconds);
  }
  const account = await ctx.db
    .selectFrom('accounts')
    .select(['id', 'password_hash'])
    .where('email_normalized', '=', email)
    .where('kind', '=', 'standard')
    .executeTakeFirst();
  const ok = await verify(account?.password_hash ?? (await dummyHash), input.password);
  if (!account || !ok) throw unauthenticated('The email or password is wrong.', 'invalid_credentials');
  for (const b of buckets) await refundRateLimit(ctx.db, b.name, LOGIN_WINDOW_SECONDS);
  const expiresAt = new Date(Date.now() + ctx.config.SESSION_TTL_MINUTES * 60_000);
  return ctx.db.transaction().execute(async (trx) => {
    // The password checked must still be the account's: a reset (sinth set-password) that committed
    // during the check ended the sessions before this one existed. The row lock orders the two.
    const current = await trx.selectFrom('accounts').select('password_hash').where('id', '=', account.id).forShare().executeTakeFirst();
    if (current?.password_hash !== account.password_hash) throw unauthenticated('The email or password is wrong.', 'invalid_credentials');
    const key = await issueKey(trx, { accountId: account.id, name: 'Dashboard session', kind: 'session', scope: 'admin', expiresAt });
    await writeAudit(trx, { ...ctx, accountId: account.id, actor: { type: 'session', id: key.keyId } }, { action: 'session.created', objectType: 'api_key', objectId: key.keyId });
    return { account_id: account.id, token: key.key, key_id: key.keyId, expires_at: expiresAt.toISOString() };
  });
}

import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import { invalid, notFound } from '../../core/errors.js';
import { auditRow, SYSTEM_ACTOR } from '../../core/audit.js';
import type { DB } from '../../db/schema.js';
import { normalizeEmail } from './accounts-service.js';
import { Password } from './schemas.js';

/**
 * An operator sets an account's password (`sinth set-password`): for a forgotten password on a
 * self-hosted server with no mail set up, and for an imported account, which comes without one.
 * Every dashboard session of the account ends with it (API keys are untouched), and an audit row
 * records it, in one transaction.
 */
export async function setAccountPassword(db: Kysely<DB>, input: { email: string; password: string }) {
  const parsed = Password.safeParse(input.password);
  if (!parsed.success) throw invalid('password', `The password ${parsed.error.issues[0]!.message}.`);
  const passwordHash = await hash(parsed.data);
  return db.transaction().execute(async (trx) => {
    const account = await trx
      .updateTable('accounts')
      .set({ password_hash: passwordHash })
      .where('email_normalized', '=', normalizeEmail(input.email))
      .where('kind', '=', 'standard')
      .returning(['id'])
      .executeTakeFirst();
    if (!account) throw notFound('account', 'email');
    const ended = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('account_id', '=', account.id)
      .where('kind', '=', 'session')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const sessionsEnded = Number(ended.numUpdatedRows);
    const entry = { action: 'account.password_set', objectType: 'account', objectId: account.id, details: { sessions_ended: sessionsEnded } };
    await trx.insertInto('audit_logs').values(auditRow(account.id, SYSTEM_ACTOR, entry)).execute();
    return { accountId: account.id, sessionsEnded };
  });
}

import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Database } from '../../db/database.js';
import type { AuthKey } from '../context.js';
import { sha256Hex } from '../crypto.js';
import { newId, randomToken } from '../ids.js';
import { unauthenticated } from '../errors.js';

/** Key text starts with its kind so a leaked key is recognisable: admin, conversation (publishable), session. */
const PREFIX = { admin: 'sk_', conversation: 'pk_', session: 'ss_' } as const;
const VISIBLE_CHARS = 12;

export interface IssueKeyInput {
  accountId: string;
  name: string;
  kind: 'api' | 'session';
  scope: 'admin' | 'conversation';
  botIds?: string[] | null;
  allowedOrigins?: string[] | null;
  createdBy?: string | null;
  expiresAt?: Date | null;
}

export interface IssuedKey {
  keyId: string;
  key: string;
  prefix: string;
}

/** Creates a key and returns its secret text: the only time it exists outside the caller's hands. */
export async function issueKey(trx: Transaction<DB>, input: IssueKeyInput): Promise<IssuedKey> {
  const key = (input.kind === 'session' ? PREFIX.session : PREFIX[input.scope]) + randomToken(32);
  const keyId = newId('key');
  const prefix = key.slice(0, VISIBLE_CHARS);
  await trx
    .insertInto('api_keys')
    .values({
      id: keyId,
      account_id: input.accountId,
      name: input.name,
      kind: input.kind,
      scope: input.scope,
      prefix,
      key_hash: sha256Hex(key),
      bot_ids: input.botIds?.length ? input.botIds : null,
      allowed_origins: input.allowedOrigins?.length ? input.allowedOrigins : null,
      created_by: input.createdBy ?? null,
      expires_at: input.expiresAt ?? null,
    })
    .execute();
  return { keyId, key, prefix };
}

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves key text to its key. Nothing is cached, so a revoked or expired key fails on the very next
 * request. `last_used_at` is written at most once a minute per key to keep reads cheap.
 */
export async function authenticateKey(db: Database, raw: string): Promise<AuthKey> {
  if (!/^(sk|pk|ss)_[A-Za-z0-9_-]{20,100}$/.test(raw)) throw unauthenticated('The API key is malformed.');
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'account_id', 'kind', 'scope', 'bot_ids', 'allowed_origins', 'revoked_at', 'expires_at', 'last_used_at'])
    .where('key_hash', '=', sha256Hex(raw))
    .executeTakeFirst();
  const now = Date.now();
  if (!row) throw unauthenticated('The API key is not valid.');
  if (row.revoked_at) throw unauthenticated('The API key has been revoked.', 'revoked_api_key');
  // Sessions expire, and so does an unclaimed trial bot's key (with its trial, before the job deletes it).
  if (row.expires_at && row.expires_at.getTime() <= now) {
    throw unauthenticated(row.kind === 'session' ? 'The session has expired; log in again.' : 'The API key has expired.', 'expired_api_key');
  }
  if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('id', '=', row.id).execute();
  }
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    scope: row.scope,
    botIds: row.bot_ids,
    allowedOrigins: row.allowed_origins,
  };
}

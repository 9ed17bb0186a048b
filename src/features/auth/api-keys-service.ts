import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { invalid, notFound } from '../../core/errors.js';
import { issueKey } from '../../core/auth/keys.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import type { ApiKeyRow } from '../../db/schema.js';
import type { CreateApiKeyInput } from './schemas.js';

type KeyView = Pick<ApiKeyRow, 'id' | 'name' | 'prefix' | 'scope' | 'bot_ids' | 'allowed_origins' | 'created_at' | 'last_used_at'>;

const toApiKey = (k: KeyView) => ({
  key_id: k.id,
  name: k.name,
  prefix: k.prefix,
  scope: k.scope,
  bot_ids: k.bot_ids,
  allowed_origins: k.allowed_origins,
  created_at: k.created_at.toISOString(),
  last_used_at: k.last_used_at?.toISOString() ?? null,
});

export async function createApiKey({ ctx, input }: { ctx: ServiceContext; input: CreateApiKeyInput }) {
  if (input.scope === 'admin' && (input.bot_ids?.length || input.allowed_origins?.length)) {
    const param = input.bot_ids?.length ? 'bot_ids' : 'allowed_origins';
    throw invalid(param, `${param} applies to conversation keys only; an admin key reaches the whole account.`);
  }
  const botIds = [...new Set(input.bot_ids ?? [])];
  return ctx.db.transaction().execute(async (trx) => {
    if (botIds.length) {
      const found = await trx.selectFrom('bots').select('id').where('account_id', '=', ctx.accountId).where('deleted_at', 'is', null).where('id', 'in', botIds).execute();
      const missing = botIds.find((id) => !found.some((f) => f.id === id));
      if (missing) throw notFound('bot', 'bot_ids');
    }
    const issued = await issueKey(trx, {
      accountId: ctx.accountId,
      name: input.name,
      kind: 'api',
      scope: input.scope,
      botIds,
      allowedOrigins: [...new Set(input.allowed_origins ?? [])],
      createdBy: ctx.actor.id,
    });
    await writeAudit(trx, ctx, { action: 'api_key.created', objectType: 'api_key', objectId: issued.keyId, details: { scope: input.scope, name: input.name } });
    const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', issued.keyId).executeTakeFirstOrThrow();
    return { ...toApiKey(row), key: issued.key };
  });
}

/** Live API keys of the account (dashboard sessions are not listed), newest first. */
export async function listApiKeys({ ctx, input }: { ctx: ServiceContext; input: { limit: number; cursor?: string | undefined } }) {
  const after = decodeCursor(input.cursor);
  let q = ctx.db
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'scope', 'bot_ids', 'allowed_origins', 'created_at', 'last_used_at'])
    .where('account_id', '=', ctx.accountId)
    .where('kind', '=', 'api')
    .where('revoked_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (after) q = q.where('id', '<', after);
  const page = toPage(await q.execute(), input.limit, (k) => k.id);
  return { data: page.data.map(toApiKey), next_cursor: page.next_cursor };
}

/** Revokes a key or a session; the next request with it is refused. */
export async function revokeApiKey({ ctx, input }: { ctx: ServiceContext; input: { key_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', input.key_id)
      .where('account_id', '=', ctx.accountId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'revoked_at'])
      .executeTakeFirst();
    if (!row) throw notFound('api key', 'key_id');
    await writeAudit(trx, ctx, { action: 'api_key.revoked', objectType: 'api_key', objectId: row.id });
    return { key_id: row.id, revoked_at: row.revoked_at!.toISOString() };
  });
}

import { randomBytes } from 'node:crypto';
import { writeAudit } from '../../core/audit.js';
import type { ServiceContext } from '../../core/context.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { encryptSecret } from '../../core/secrets.js';
import { MAX_WEBHOOKS, type AddWebhookInput, type GetWebhooksQuery } from './schemas.js';
import { checkWebhookUrl } from './webhook-url.js';
import { toWebhook } from './webhook-view.js';

/** The context a webhook's secret is sealed under: a sealed secret copied to another row does not open. */
export const secretContext = (webhookId: string) => `webhooks:${webhookId}`;

/** A Standard Webhooks secret: "whsec_" and the base64 of 32 random bytes (the spec asks for 24 to 64). */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Adds an endpoint and returns its signing secret, the only time it is shown. Not idempotent on
 * purpose: a replayed response would have to keep the secret in the idempotency table in clear.
 */
export async function addWebhook({ ctx, input }: { ctx: ServiceContext; input: AddWebhookInput }) {
  const url = await checkWebhookUrl(input.url, ctx.config.ALLOW_PRIVATE_URLS);
  const events = [...new Set(input.events)];
  const id = newId('whk');
  const secret = newSecret();
  return ctx.db.transaction().execute(async (trx) => {
    // Serialises adds of one account, so two at once cannot both pass the limit.
    await trx.selectFrom('accounts').select('id').where('id', '=', ctx.accountId).forUpdate().executeTakeFirstOrThrow();
    const { n } = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', ctx.accountId).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_WEBHOOKS) throw unprocessable('too_many_webhooks', `An account has at most ${MAX_WEBHOOKS} webhooks; delete one first.`);
    const row = await trx
      .insertInto('webhooks')
      .values({ id, account_id: ctx.accountId, url, events, secret_enc: encryptSecret(secret, ctx.config.SECRET_KEY, secretContext(id)) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeAudit(trx, ctx, { action: 'webhook.created', objectType: 'webhook', objectId: id, details: { url, events } });
    return { ...toWebhook(row), secret };
  });
}

export async function getWebhooks({ ctx, input }: { ctx: ServiceContext; input: GetWebhooksQuery }) {
  const after = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('webhooks').selectAll().where('account_id', '=', ctx.accountId).orderBy('id').limit(input.limit + 1);
  if (after) q = q.where('id', '>', after);
  const page = toPage(await q.execute(), input.limit, (w) => w.id);
  return { data: page.data.map(toWebhook), next_cursor: page.next_cursor };
}

/** Deletes an endpoint with its deliveries and their attempts (cascade); a send under way is not recorded. */
export async function deleteWebhook({ ctx, input }: { ctx: ServiceContext; input: { webhook_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('webhooks').where('id', '=', input.webhook_id).where('account_id', '=', ctx.accountId).returning(['id', 'url']).executeTakeFirst();
    if (!row) throw notFound('webhook', 'webhook_id');
    await writeAudit(trx, ctx, { action: 'webhook.deleted', objectType: 'webhook', objectId: row.id, details: { url: row.url } });
    return { webhook_id: row.id, deleted: true as const };
  });
}

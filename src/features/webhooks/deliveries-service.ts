import { sql } from 'kysely';
import { writeAudit } from '../../core/audit.js';
import type { ServiceContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import type { GetDeliveriesQuery } from './schemas.js';
import { leaseIsFree } from './delivery-store.js';
import { toDelivery } from './webhook-view.js';

/** An endpoint's deliveries, newest first, each with every attempt. */
export async function getWebhookDeliveries({ ctx, input }: { ctx: ServiceContext; input: GetDeliveriesQuery }) {
  const webhook = await ctx.db.selectFrom('webhooks').select('id').where('id', '=', input.webhook_id).where('account_id', '=', ctx.accountId).executeTakeFirst();
  if (!webhook) throw notFound('webhook', 'webhook_id');
  const before = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhook.id).orderBy('id', 'desc').limit(input.limit + 1);
  if (before) q = q.where('id', '<', before);
  if (input.status) q = q.where('status', '=', input.status);
  const page = toPage(await q.execute(), input.limit, (d) => d.id);
  const ids = page.data.map((d) => d.id);
  const attempts = ids.length
    ? await ctx.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('delivery_id').orderBy('attempt').execute()
    : [];
  return { data: page.data.map((d) => toDelivery(d, attempts.filter((a) => a.delivery_id === d.id))), next_cursor: page.next_cursor };
}

/**
 * Makes a delivery due now, whatever its status (a succeeded one is sent again). It gets one more
 * attempt, not a new retry schedule: past its retry window a failure makes it dead again. It goes
 * to an endpoint disabled for failing too, and its success enables the endpoint again. A delivery
 * being sent at this moment is left alone: the send under way is the retry.
 */
export async function retryWebhookDelivery({ ctx, input }: { ctx: ServiceContext; input: { delivery_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    const found = await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', input.delivery_id).where('account_id', '=', ctx.accountId).forUpdate().executeTakeFirst();
    if (!found) throw notFound('delivery', 'delivery_id');
    const row = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: sql`now()`, finished_at: null })
      .where('id', '=', found.id)
      .where(leaseIsFree)
      .returningAll()
      .executeTakeFirst();
    const delivery = row ?? (await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', found.id).executeTakeFirstOrThrow());
    if (row) await writeAudit(trx, ctx, { action: 'webhook_delivery.retried', objectType: 'webhook_delivery', objectId: row.id, details: { webhook_id: row.webhook_id, event_id: row.event_id } });
    const attempts = await trx.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', found.id).orderBy('attempt').execute();
    return toDelivery(delivery, attempts);
  });
}

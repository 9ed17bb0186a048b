import { sql, type Transaction } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import { invalid, notFound, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { inTransaction } from '../../core/transaction.js';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { loadBot } from '../bots/bot-access.js';
import { pickNumber } from '../sms/numbers.js';
import { noSmsRoute } from '../sms/send-service.js';
import { audienceUsers } from './audience.js';
import { campaignView } from './campaign-view.js';
import { campaignNow } from './clock.js';
import { DISPATCH_JOB } from './dispatcher.js';
import { cancelCampaign } from './lifecycle.js';
import type { Audience, GetBulkCampaignsQuery, SendBulkInput } from './schemas.js';
import { parseTemplate } from './template.js';

const MAX_SCHEDULE_DAYS = 365;

/** What the campaign row keeps of the audience: a list of 10,000 ids is in the recipients, not here. */
const audienceSummary = (a: Audience) => (a.user_ids ? { user_ids: a.user_ids.length } : a.tags ? { tags: [...new Set(a.tags)] } : { all: true });

/**
 * send_bulk_messages: checks the template and the bot's SMS route, then in one transaction writes the
 * campaign, snapshots its audience into campaign_recipients with one INSERT … SELECT (the audience is
 * fixed now; opted-out or blocked users are included and skipped at send time, so the counts say
 * why), queues the job that starts it (at schedule_at) and records the Idempotency-Key's answer.
 */
export async function sendBulkMessages({ ctx, input }: { ctx: ServiceContext; input: SendBulkInput }) {
  const bot = await loadBot(ctx, input.bot_id);
  parseTemplate(input.message);
  const now = campaignNow();
  const scheduleAt = input.schedule_at ? new Date(input.schedule_at) : null;
  if (scheduleAt && scheduleAt.getTime() <= now.getTime()) throw invalid('schedule_at', 'schedule_at must be in the future; leave it out to send now.');
  if (scheduleAt && scheduleAt.getTime() - now.getTime() > MAX_SCHEDULE_DAYS * 86_400_000) throw invalid('schedule_at', `schedule_at may be at most ${MAX_SCHEDULE_DAYS} days ahead.`);
  if (!(await pickNumber(ctx.db, ctx.accountId, { botId: bot.id, phone: '' }))) throw noSmsRoute('bot_id');

  return inTransaction(ctx, async (trx) => {
    const id = newId('camp');
    const status = scheduleAt ? ('scheduled' as const) : ('queued' as const);
    await trx
      .insertInto('campaigns')
      .values({
        id,
        account_id: ctx.accountId,
        bot_id: bot.id,
        message: input.message,
        audience: JSON.stringify(audienceSummary(input.audience)),
        status,
        schedule_at: scheduleAt,
        quiet_hours: input.quiet_hours ?? true,
        rate_per_second: input.rate_per_second ?? ctx.config.CAMPAIGN_RATE_PER_SECOND,
        jobs_schema: ctx.config.JOBS_SCHEMA,
      })
      .execute();

    const inserted = await trx
      .insertInto('campaign_recipients')
      .columns(['campaign_id', 'end_user_id'])
      .expression(audienceUsers(trx, bot.id, input.audience).select([sql<string>`${id}::text`.as('campaign_id'), 'u.id']))
      .executeTakeFirst();
    const recipients = Number(inserted.numInsertedOrUpdatedRows ?? 0);
    if (!recipients) throw unprocessable('empty_audience', 'No end user of this bot is in the audience.', 'audience');

    const startAfterSeconds = scheduleAt ? Math.ceil((scheduleAt.getTime() - now.getTime()) / 1000) : 0;
    await ctx.jobs.send(DISPATCH_JOB, { campaign_id: id }, { trx, startAfterSeconds });
    await writeAudit(trx, ctx, { action: 'campaign.created', objectType: 'campaign', objectId: id, details: { bot_id: bot.id, recipients, schedule_at: scheduleAt?.toISOString() ?? null } });
    return { campaign_id: id, status, recipients, unmatched_user_ids: input.audience.user_ids ? new Set(input.audience.user_ids).size - recipients : 0 };
  });
}

/** The account's campaign (locked for update inside a transaction), or a 404. */
async function ownCampaign(q: Database | Transaction<DB>, ctx: ServiceContext, campaignId: string, lock = false) {
  let query = q.selectFrom('campaigns').selectAll().where('id', '=', campaignId).where('account_id', '=', ctx.accountId);
  if (lock) query = query.forUpdate();
  const c = await query.executeTakeFirst();
  if (!c) throw notFound('campaign', 'campaign_id');
  return c;
}

export async function getBulkCampaign({ ctx, input }: { ctx: ServiceContext; input: { campaign_id: string } }) {
  return campaignView(ctx.db, await ownCampaign(ctx.db, ctx, input.campaign_id), campaignNow());
}

/** Stops what has not gone out; already sent messages stay sent. Canceling again (or after completion) changes nothing. */
export async function cancelBulkCampaign({ ctx, input }: { ctx: ServiceContext; input: { campaign_id: string } }) {
  return ctx.db.transaction().execute(async (trx) => {
    let c = await ownCampaign(trx, ctx, input.campaign_id, true);
    if (c.status !== 'completed' && c.status !== 'canceled') {
      c = await cancelCampaign(trx, ctx, c, 'requested');
      await writeAudit(trx, ctx, { action: 'campaign.canceled', objectType: 'campaign', objectId: c.id, details: { bot_id: c.bot_id } });
    }
    return campaignView(trx, c, campaignNow());
  });
}

/** The account's campaigns, newest first, optionally one bot's or in one status. */
export async function getBulkCampaigns({ ctx, input }: { ctx: ServiceContext; input: GetBulkCampaignsQuery }) {
  const bot = input.bot_id ? await loadBot(ctx, input.bot_id) : null;
  const before = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('campaigns').selectAll().where('account_id', '=', ctx.accountId).orderBy('id', 'desc').limit(input.limit + 1);
  if (bot) q = q.where('bot_id', '=', bot.id);
  if (input.status) q = q.where('status', '=', input.status);
  if (before) q = q.where('id', '<', before);
  const page = toPage(await q.execute(), input.limit, (c) => c.id);
  const now = campaignNow();
  return { data: await Promise.all(page.data.map((c) => campaignView(ctx.db, c, now))), next_cursor: page.next_cursor };
}

import { sql, type Kysely } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import type { DB } from '../../db/schema.js';
import { loadBot } from '../bots/bot-access.js';
import { effectivePolicy } from '../prompts/policy-settings.js';
import type { Audience } from './schemas.js';

/** The bot's end users an audience names: the one definition send_bulk_messages and the preview share. */
export function audienceUsers(db: Kysely<DB>, botId: string, audience: Audience) {
  const userIds = audience.user_ids && [...new Set(audience.user_ids)];
  let q = db.selectFrom('end_users as u').where('u.bot_id', '=', botId);
  if (userIds) q = q.where(sql<boolean>`u.user_id = any(${userIds}::text[])`);
  if (audience.tags) q = q.where(sql<boolean>`u.tags && ${audience.tags}::text[]`);
  return q;
}

/**
 * preview_bulk_audience: who a campaign would reach if it were sent now — the audience, and of it those
 * the send would skip, by the reason the sender gives (recipients-batch.ts skipReason, in its order:
 * no phone, blocked, opted out, suppressed, age gate). Reads only.
 */
export async function previewBulkAudience({ ctx, input }: { ctx: ServiceContext; input: { bot_id: string; audience: Audience } }) {
  const bot = await loadBot(ctx, input.bot_id);
  const ageGate = effectivePolicy(bot.policy).age_gate;
  const reason = sql<string | null>`case
    when u.phone is null then 'no_phone'
    when u.blocked then 'blocked'
    when u.opted_out then 'opted_out'
    when s.phone is not null then 'suppressed'
    when ${ageGate} and not u.age_verified then 'age_gate'
  end`;
  const rows = await ctx.db
    .selectFrom(audienceUsers(ctx.db, bot.id, input.audience).leftJoin('suppressions as s', (j) => j.onRef('s.phone', '=', 'u.phone').on('s.account_id', '=', ctx.accountId)).select(reason.as('reason')).as('a'))
    .select(['a.reason', sql<number>`count(*)::int`.as('n')])
    .groupBy('a.reason')
    .execute();
  const skipped = { no_phone: 0, blocked: 0, opted_out: 0, suppressed: 0, age_gate: 0 };
  let matched = 0;
  for (const r of rows) {
    matched += Number(r.n);
    if (r.reason) skipped[r.reason as keyof typeof skipped] = Number(r.n);
  }
  const reachable = matched - Object.values(skipped).reduce((a, b) => a + b, 0);
  const given = input.audience.user_ids ? new Set(input.audience.user_ids).size : 0;
  return { bot_id: bot.id, matched, reachable, skipped, unmatched_user_ids: input.audience.user_ids ? given - matched : 0 };
}

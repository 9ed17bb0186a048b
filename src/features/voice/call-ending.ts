import type { AppDeps } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { emitEvent } from '../../core/events.js';
import type { CallRow } from '../../db/schema.js';
import { countCallSeconds } from './call-records.js';
import { callData } from './call-scene.js';

/** How a call ended, as the provider reports it (DiCE, Twilio's status callback). */
export interface CallEnding {
  status: 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled';
  result: string | null;
  reason: string | null;
  durationSeconds: number | null;
  cost: number | null;
  currency: string | null;
}

/**
 * Closes the record once the provider says how the call ended: status (a refused call stays
 * rejected), result, reason, talk time (counted toward plan minutes) and cost, and `call.ended`
 * (not for a refused call, which never started). The provider may report twice; the first report wins.
 */
export async function closeCall(deps: AppDeps, call: CallRow, ending: CallEnding): Promise<void> {
  const ctx = systemContext(deps, call.account_id);
  await ctx.db.transaction().execute(async (trx) => {
    const closed = await trx
      .updateTable('calls')
      .set((eb) => ({
        status: eb.case().when('status', '=', 'rejected').then(eb.ref('status')).else(ending.status).end(),
        result: ending.result,
        reason: eb.fn.coalesce(eb.ref('reason'), eb.val(ending.reason)),
        duration_seconds: ending.durationSeconds ?? 0,
        cost: ending.cost,
        currency: ending.currency,
        ended_at: eb.fn.coalesce(eb.ref('ended_at'), eb.val(new Date())),
        updated_at: new Date(),
      }))
      .where('id', '=', call.id)
      .where('duration_seconds', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!closed || closed.status === 'rejected') return;
    await countCallSeconds(trx, closed, closed.duration_seconds ?? 0);
    const user = closed.end_user_id ? await trx.selectFrom('end_users').select('user_id').where('id', '=', closed.end_user_id).executeTakeFirst() : undefined;
    await emitEvent(trx, ctx, 'call.ended', callData(closed, { user_id: user?.user_id ?? null, status: closed.status, result: closed.result, reason: closed.reason, duration_seconds: closed.duration_seconds }));
  });
}

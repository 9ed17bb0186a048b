import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import { systemContext } from '../../core/context.js';
import { writeAudit } from '../../core/audit.js';
import type { JobDefinition } from '../../jobs/queue.js';

export const ERASE_BOT_JOB = 'bots.erase';
export const ERASE_SWEEP_JOB = 'bots.erase-sweep';

/**
 * Removes a soft-deleted bot and everything that hangs off it (cascading foreign keys). Idempotent:
 * a bot already gone, or not deleted, is left alone.
 */
export async function eraseDeletedBot(deps: AppDeps, botId: string): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('bots')
      .where('id', '=', botId)
      .where('deleted_at', 'is not', null)
      .where(sql<boolean>`deleted_at <= now() - make_interval(mins => ${deps.config.BOT_ERASE_DELAY_MINUTES})`)
      .returning(['id', 'account_id'])
      .executeTakeFirst();
    if (gone) await writeAudit(trx, systemContext(deps, gone.account_id), { action: 'bot.erased', objectType: 'bot', objectId: gone.id });
    return Boolean(gone);
  });
}

/** Catches any deleted bot whose erase job was lost or exhausted its retries. */
export async function eraseDueBots(deps: AppDeps): Promise<number> {
  const due = await deps.db
    .selectFrom('bots')
    .select('id')
    .where('deleted_at', 'is not', null)
    .where(sql<boolean>`deleted_at <= now() - make_interval(mins => ${deps.config.BOT_ERASE_DELAY_MINUTES})`)
    .limit(500)
    .execute();
  let n = 0;
  for (const b of due) if (await eraseDeletedBot(deps, b.id)) n++;
  return n;
}

export function botJobs(deps: AppDeps): JobDefinition[] {
  return [
    { name: ERASE_BOT_JOB, minExpireSeconds: 1800, handle: async (data) => void (await eraseDeletedBot(deps, (data as { bot_id: string }).bot_id)) },
    { name: ERASE_SWEEP_JOB, cron: '*/10 * * * *', handle: async () => void (await eraseDueBots(deps)) },
  ];
}

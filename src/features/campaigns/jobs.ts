import { sql } from 'kysely';
import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { campaignNow } from './clock.js';
import { DISPATCH_JOB, dispatchCampaign } from './dispatcher.js';
import { ACTIVE_STATUSES, noLiveDispatcher } from './lifecycle.js';

const SWEEP_JOB = 'campaigns.sweep';

/**
 * Campaigns that should be sending but have no live dispatcher: their run died with its process (its
 * job stays `active` in pg-boss until it expires), or the job that was to start them was lost. Due
 * ones (scheduled time come, or a pending recipient due, or nothing left to do but complete) get a
 * dispatch job. Run every minute by the cron; a campaign still waiting for quiet hours to end is left
 * to the job its dispatcher queued for that time. Only this job queue's campaigns (JOBS_SCHEMA): a
 * server with other jobs (and maybe other providers) on the same database does not take them over.
 */
export async function resumeCampaigns(deps: AppDeps): Promise<number> {
  const now = campaignNow();
  const due = await deps.db
    .selectFrom('campaigns as c')
    .select('c.id')
    .where('c.jobs_schema', '=', deps.config.JOBS_SCHEMA)
    .where('c.status', 'in', ACTIVE_STATUSES)
    .where(noLiveDispatcher(deps.config.CAMPAIGN_STALE_SECONDS))
    .where((eb) => eb.or([eb('c.schedule_at', 'is', null), eb('c.schedule_at', '<=', now)]))
    .where((eb) => {
      const pending = () => eb.selectFrom('campaign_recipients as r').select(sql`1`.as('one')).whereRef('r.campaign_id', '=', 'c.id').where('r.state', '=', 'pending');
      return eb.or([eb.exists(pending().where((w) => w.or([w('r.not_before', 'is', null), w('r.not_before', '<=', now)]))), eb.not(eb.exists(pending()))]);
    })
    .limit(500)
    .execute();
  for (const c of due) await deps.jobs.send(DISPATCH_JOB, { campaign_id: c.id });
  return due.length;
}

export function campaignJobs(deps: AppDeps): JobDefinition[] {
  return [
    // Two campaigns at once per worker; a campaign's own sends run SEND_CONCURRENCY at a time inside its job.
    { name: DISPATCH_JOB, concurrency: 2, handle: async (data) => void (await dispatchCampaign(deps, (data as { campaign_id: string }).campaign_id)) },
    { name: SWEEP_JOB, cron: '* * * * *', handle: async () => void (await resumeCampaigns(deps)) },
  ];
}

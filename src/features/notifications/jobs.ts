import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { DIGEST_JOB, runDigest } from './digest.js';
import { giveUpInterrupted, sendDueNotifications } from './sender.js';
import { NOTIFICATIONS_SEND_JOB } from './store.js';

/**
 * The notification jobs: sending (queued with the rows that need it), a sweep every minute for retries
 * and deferred emails, and the daily digest. All claim their rows, so running twice sends nothing twice.
 */
export function notificationJobs(deps: AppDeps): JobDefinition[] {
  return [
    { name: NOTIFICATIONS_SEND_JOB, concurrency: 2, handle: async () => void (await sendDueNotifications(deps)) },
    {
      name: 'notifications.sweep',
      cron: '* * * * *',
      handle: async () => {
        await giveUpInterrupted(deps.db);
        await sendDueNotifications(deps);
      },
    },
    { name: DIGEST_JOB, cron: `0 ${deps.config.DIGEST_HOUR_UTC} * * *`, handle: async (data) => void (await runDigest(deps, data as { day?: unknown })) },
  ];
}

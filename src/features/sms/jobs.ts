import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { handleInboundSms } from './inbound-job.js';
import { SMS_INBOUND_JOB } from './inbound-service.js';
import { reconcileSms, SMS_RECONCILE_JOB } from './reconcile-service.js';
import { deliverSms, SMS_SEND_JOB } from './send-service.js';

/**
 * The SMS jobs. pg-boss retries them after a database error or a crash: the send claims its row
 * before acting, and the inbound job's every step is keyed by its SMS (see inbound-job.ts), so a
 * retry does what is missing and nothing twice. Several at once: a
 * reply waits on the model and a send on the provider, neither on this process.
 */
export function smsJobs(deps: AppDeps): JobDefinition[] {
  return [
    { name: SMS_INBOUND_JOB, concurrency: 4, handle: (data) => handleInboundSms(deps, (data as { sms_id: string }).sms_id) },
    {
      name: SMS_SEND_JOB,
      concurrency: 4,
      handle: async (data) => {
        const d = data as { sms_id: string; allow_opted_out?: boolean };
        await deliverSms(deps, d.sms_id, { allowOptedOut: d.allow_opted_out === true });
      },
    },
    // Sends whose outcome was lost (a process killed mid-send), settled with the provider (reconcile-service.ts).
    { name: SMS_RECONCILE_JOB, cron: '* * * * *', handle: async () => void (await reconcileSms(deps)) },
  ];
}

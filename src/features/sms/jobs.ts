import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { handleInboundSms } from './inbound-job.js';
import { SMS_INBOUND_JOB } from './inbound-service.js';
import { deliverSms, SMS_SEND_JOB } from './send-service.js';

/**
 * The SMS jobs. Both claim their row before acting, so pg-boss's retries (after a database error or
 * a crash) are safe: a retry of work already done finds the claim and stops. Several at once: a
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
  ];
}

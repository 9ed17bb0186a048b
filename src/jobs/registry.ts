import type { AppDeps } from '../core/context.js';
import { botJobs } from '../features/bots/bot-erasure.js';
import { trialJobs } from '../features/bots/trial-bots-service.js';
import { memoryJobs } from '../engine/memory.js';
import { knowledgeJobs } from '../features/knowledge/ingest.js';
import { termJobs } from '../features/knowledge/terms.js';
import { smsJobs } from '../features/sms/jobs.js';
import { campaignJobs } from '../features/campaigns/jobs.js';
import { webhookJobs } from '../features/webhooks/jobs.js';
import { notificationJobs } from '../features/notifications/jobs.js';
import { billingJobs } from '../features/billing/jobs.js';
import { analyticsJobs } from '../features/analytics/jobs.js';
import { maintenanceJobs } from './maintenance.js';
import type { JobDefinition } from './queue.js';

/** Every background and scheduled job the server runs. */
export function allJobs(deps: AppDeps): JobDefinition[] {
  return [...botJobs(deps), ...trialJobs(deps), ...maintenanceJobs(deps), ...memoryJobs(deps), ...knowledgeJobs(deps), ...termJobs(deps), ...smsJobs(deps), ...campaignJobs(deps), ...webhookJobs(deps), ...notificationJobs(deps), ...billingJobs(deps), ...analyticsJobs(deps)];
}

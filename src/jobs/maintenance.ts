import type { AppDeps } from '../core/context.js';
import { pruneIdempotencyKeys } from '../core/http/idempotency.js';
import { pruneRateLimits } from '../core/rate-limit.js';
import type { JobDefinition } from './queue.js';

/** Drops expired sessions a day after they stop working (revoked API keys stay listed in the audit only). */
export async function pruneExpiredSessions(deps: AppDeps): Promise<void> {
  await deps.db.deleteFrom('api_keys').where('kind', '=', 'session').where('expires_at', '<', new Date(Date.now() - 86_400_000)).execute();
}

export function maintenanceJobs(deps: AppDeps): JobDefinition[] {
  return [
    {
      name: 'maintenance.prune',
      cron: '7 * * * *',
      handle: async () => {
        await pruneRateLimits(deps.db);
        await pruneIdempotencyKeys(deps);
        await pruneExpiredSessions(deps);
      },
    },
  ];
}

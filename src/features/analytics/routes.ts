import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe, page } from '../../core/http/schema.js';
import { getActivityLogs } from './activity-logs-service.js';
import { getAnalytics } from './analytics-service.js';
import * as S from './schemas.js';

const tag = 'Analytics';

/** get_analytics and get_activity_logs (get_usage lives with billing). */
export function analyticsRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/get_analytics', {
      config: { auth: 'admin' },
      schema: {
        ...describe({
          tag,
          auth: 'admin',
          summary: 'Time series of the account or one bot: messages, users, conversations, latency, tokens, feedback, takeovers, calls, SMS, opt-outs',
          ok: S.AnalyticsResult,
          description:
            'Buckets of an hour, a day or a week (Monday to Sunday), in UTC, from `from` to `to` widened to whole buckets; every bucket is listed, empty ones with zeros. Default: the last 30 days by day. A range is at most 400 days, and 14 days by the hour. `totals` sums the range (active users and latency percentiles are computed over the whole range, not added up).',
        }),
        querystring: S.AnalyticsQuery,
      },
    }, (req) => getAnalytics({ ctx: ctxOf(req), input: req.query }));

    app.get('/get_activity_logs', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'The audit log of every change in the account, newest first: who (key or session), what, when, from where', ok: page(S.ActivityLog) }),
        querystring: S.ActivityLogsQuery,
      },
    }, (req) => getActivityLogs({ ctx: ctxOf(req), input: req.query }));
  };
}

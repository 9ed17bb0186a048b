import { z } from 'zod';
import { Id, PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';

const Iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' });

export const INTERVALS = ['hour', 'day', 'week'] as const;
export type Interval = (typeof INTERVALS)[number];

export const AnalyticsQuery = z.strictObject({
  bot_id: BotId.optional().describe('One bot; default: the whole account'),
  from: Iso.optional().describe('Start (default: 30 days before `to`); moved back to the start of its bucket'),
  to: Iso.optional().describe('End, exclusive (default: now); moved forward to the end of its bucket. At most 400 days after `from` (14 for hours)'),
  interval: z.enum(INTERVALS).default('day').describe('Bucket size, in UTC; weeks start on Monday'),
});
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

const count = z.number().int();

/** The counters of one bucket, or of the whole range. */
const Counters = {
  messages_in: count.describe('Messages from end users'),
  messages_out: count.describe('Replies of the bot and messages of operators'),
  messages_by_channel: z.object({ api: count, sms: count, voice: count }).describe('Messages in and out, by the conversation\'s channel'),
  active_users: count.describe('End users who sent at least one message (in the totals: over the whole range, each counted once)'),
  new_users: count.describe('End users whose first contact falls in the bucket'),
  conversations: count.describe('Conversations started'),
  reply_latency_p50_ms: z.number().nullable().describe('Median time the bot took to reply (model and curated replies); null without replies. Hour buckets: exact; day and week buckets and their totals: from a log-scale histogram of 2 % wide buckets, within 1 % of the exact value'),
  reply_latency_p95_ms: z.number().nullable().describe('95th percentile of the reply time, like the median'),
  tokens_in: count.describe('Model input tokens. Day and week buckets read the daily usage counters (what plans count); hour buckets add up the replies stored in that hour'),
  tokens_out: count,
  model_calls: count,
  feedback_up: count,
  feedback_down: count,
  retrained_hits: count.describe('Replies given from a retrained (curated) answer, without the model'),
  takeovers: count.describe('Requests for a person: messages that arrived while a person had the conversation or the bot was off, and calls transferred to a person'),
  calls: count.describe('Calls started, in and out'),
  call_minutes: z.number().describe('Talk time in minutes (day and week: the daily usage counters; hour: calls started in that hour)'),
  sms_segments: count.describe('Billed SMS parts, in and out (texts never handed to a provider are not counted)'),
  opt_outs: count.describe('End users who opted out (STOP and the like)'),
};

export const AnalyticsBucket = z.object({ t: z.string().describe('Bucket start, UTC'), ...Counters }).meta({ id: 'AnalyticsBucket' });
export type AnalyticsBucket = z.infer<typeof AnalyticsBucket>;
export const AnalyticsTotals = z.object(Counters);
export type AnalyticsTotals = z.infer<typeof AnalyticsTotals>;

export const AnalyticsResult = z.object({
  bot_id: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  interval: z.enum(INTERVALS),
  series: z.array(AnalyticsBucket).describe('Every bucket from `from` to `to`, empty ones with zeros'),
  totals: AnalyticsTotals,
});

export const ActivityLogsQuery = z.strictObject({
  actor: z
    .union([Id('key', 'key'), z.enum(['system', 'anonymous'])])
    .optional()
    .describe('A key id (API key or session), or system (the server\'s own work), or anonymous'),
  action: z.string().trim().min(1).max(100).regex(/^[a-z0-9_.]+$/, 'must be an action or its beginning, e.g. user. or bot.created').optional().describe('Actions starting with this, e.g. "user." or "bot.renamed"'),
  object_type: z.string().trim().min(1).max(50).optional(),
  object_id: z.string().trim().min(1).max(200).optional(),
  since: Iso.optional(),
  until: Iso.optional().describe('Exclusive'),
  ...PageQuery,
});
export type ActivityLogsQuery = z.infer<typeof ActivityLogsQuery>;

export const ActivityLog = z
  .object({
    log_id: z.string(),
    action: z.string().describe('What happened, e.g. bot.created, user.opted_out'),
    actor: z.object({ type: z.enum(['key', 'session', 'anonymous', 'system']), id: z.string().nullable().describe('The key id for keys and sessions') }),
    object_type: z.string().nullable(),
    object_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable().describe('Where the request came from'),
    created_at: z.string(),
  })
  .meta({ id: 'ActivityLog' });

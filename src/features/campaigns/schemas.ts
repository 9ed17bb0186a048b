import { z } from 'zod';
import { Id, PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';
import { UserId } from '../users/schemas.js';

export const CampaignId = Id('camp', 'campaign');
const MAX_USER_IDS = 10_000;

export const Audience = z
  .strictObject({
    user_ids: z.array(UserId).min(1).max(MAX_USER_IDS).optional().describe('Your ids of the end users to text'),
    tags: z.array(z.string().trim().min(1).max(50)).min(1).max(50).optional().describe('End users with any of these tags'),
    all: z.literal(true).optional().describe('Every end user of the bot'),
  })
  .refine((a) => [a.user_ids, a.tags, a.all].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of user_ids, tags or all: true' })
  .describe('Who gets the message; the audience is fixed when the campaign is created');
export type Audience = z.infer<typeof Audience>;

export const SendBulkInput = z.strictObject({
  bot_id: BotId,
  audience: Audience,
  message: z
    .string()
    .trim()
    .min(1)
    .max(1600)
    .describe('Template: {{name}} is the user\'s name ("there" when unknown), {{attribute}} one of their attributes, {{attribute|default}} with a default; a missing attribute without a default is left out'),
  channel: z.literal('sms').default('sms').describe('Only sms for now'),
  schedule_at: z.iso.datetime({ offset: true }).optional().describe('Send from this time on (ISO 8601, in the future); default now'),
  quiet_hours: z.boolean().optional().describe('Default true: nobody is texted outside 08:00-21:00 in the time zone(s) of their number; their message waits for the morning'),
  rate_per_second: z.number().int().min(1).max(1000).optional().describe('Messages per second from the sending number (default from the server\'s CAMPAIGN_RATE_PER_SECOND, 1 for a long code)'),
});
export type SendBulkInput = z.infer<typeof SendBulkInput>;

export const CampaignStatus = z.enum(['scheduled', 'queued', 'sending', 'completed', 'canceled']);

export const SendBulkResult = z.object({
  campaign_id: z.string(),
  status: CampaignStatus,
  recipients: z.number().describe('End users in the audience (opted-out, blocked and unreachable ones included: they are counted as skipped when their turn comes)'),
  unmatched_user_ids: z.number().describe('Given user_ids with no such end user (0 for tags and all)'),
});

export const CampaignRef = z.strictObject({ campaign_id: CampaignId });

// Each campaign's counts are a grouped query of their own: pages stay small.
export const GetBulkCampaignsQuery = z.strictObject({
  bot_id: BotId.optional(),
  status: CampaignStatus.optional(),
  ...PageQuery,
  limit: z.coerce.number().int().min(1).max(50).default(20).describe('Page size, 1-50 (default 20)'),
});
export type GetBulkCampaignsQuery = z.infer<typeof GetBulkCampaignsQuery>;

export const PreviewAudienceInput = z.strictObject({ bot_id: BotId, audience: Audience });
export const AudiencePreview = z.object({
  bot_id: z.string(),
  matched: z.number().describe('End users of the bot in the audience'),
  reachable: z.number().describe('Of them, those a send now would text (matched minus skipped)'),
  skipped: z.object({ no_phone: z.number(), blocked: z.number(), opted_out: z.number(), suppressed: z.number(), age_gate: z.number() }).describe('Those a send now would skip, by reason'),
  unmatched_user_ids: z.number().describe('Given user_ids with no such end user (0 for tags and all)'),
});

export const SkipReason = z.enum(['opted_out', 'blocked', 'age_gate', 'no_phone', 'suppressed']);
export type SkipReason = z.infer<typeof SkipReason>;

export const Counts = z
  .object({
    total: z.number(),
    pending: z.number().describe('Not handed to the SMS provider yet (deferred ones included)'),
    deferred: z.number().describe('Pending ones waiting for the end of quiet hours in their time zone'),
    sending: z.number().describe('Handed to the provider without its answer recorded yet; after a worker crash such a message is never sent again (it may have gone out)'),
    sent: z.number().describe('Accepted by the provider (delivered ones included)'),
    delivered: z.number().describe('Delivery confirmed by the carrier (a subset of sent)'),
    failed: z.number().describe('Refused by the provider or undeliverable'),
    skipped: z.record(SkipReason, z.number()).describe('Not sent, by reason, decided at send time'),
    canceled: z.number(),
  })
  .describe('total = pending + sending + sent + failed + skipped (all reasons) + canceled');
export type Counts = z.infer<typeof Counts>;

export const Campaign = z.object({
  campaign_id: z.string(),
  bot_id: z.string(),
  channel: z.literal('sms'),
  status: CampaignStatus,
  message: z.string(),
  audience: z.record(z.string(), z.unknown()),
  schedule_at: z.string().nullable(),
  quiet_hours: z.boolean(),
  rate_per_second: z.number(),
  counts: Counts,
  next_send_at: z.string().nullable().describe('When deferred messages are due next'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  canceled_at: z.string().nullable(),
});

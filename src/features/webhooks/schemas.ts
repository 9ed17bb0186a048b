import { z } from 'zod';
import { Id, PageQuery } from '../../core/http/schema.js';
import { WEBHOOK_EVENT_TYPES } from '../../core/events.js';

export const WebhookId = Id('whk', 'webhook');
export const DeliveryId = Id('dlv', 'delivery');

/** Endpoints one account may have: each event is delivered to every subscribed one. */
export const MAX_WEBHOOKS = 20;

const EventName = z.enum([...WEBHOOK_EVENT_TYPES, '*']);

export const AddWebhookInput = z.strictObject({
  url: z.string().trim().min(1).max(2048).describe('http(s) URL that receives the events as JSON POSTs; not a private or loopback address (unless the server allows them)'),
  events: z
    .array(EventName)
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length + 1)
    .refine((e) => !e.includes('*') || e.length === 1, { message: '"*" (every event) stands alone' })
    .describe(`Event types to receive, or ["*"] for all: ${WEBHOOK_EVENT_TYPES.join(', ')}`),
});
export type AddWebhookInput = z.infer<typeof AddWebhookInput>;

export const Webhook = z.object({
  webhook_id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean().describe('false once disabled for failing too long; it then receives nothing until a retry_webhook_delivery to it succeeds'),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable().describe('Since when every delivery has failed; null while it succeeds'),
  created_at: z.string(),
});

export const AddWebhookResult = Webhook.extend({
  secret: z.string().describe('Standard Webhooks signing secret (whsec_…): shown this once, verify each delivery with it'),
});

export const GetWebhooksQuery = z.strictObject({ ...PageQuery });
export type GetWebhooksQuery = z.infer<typeof GetWebhooksQuery>;

export const WebhookRef = z.strictObject({ webhook_id: WebhookId });
export const DeleteWebhookResult = z.object({ webhook_id: z.string(), deleted: z.literal(true) });

export const DeliveryStatus = z.enum(['pending', 'failed', 'succeeded', 'dead']);

export const GetDeliveriesQuery = z.strictObject({
  webhook_id: WebhookId,
  status: DeliveryStatus.optional().describe('pending: due now; failed: the last attempt failed, a retry is scheduled; succeeded; dead: no more automatic retries'),
  ...PageQuery,
});
export type GetDeliveriesQuery = z.infer<typeof GetDeliveriesQuery>;

export const Attempt = z.object({
  attempt: z.number(),
  attempted_at: z.string(),
  status_code: z.number().nullable().describe('null when no response came (refused, timed out, connection failed)'),
  latency_ms: z.number(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable().describe('The first kilobyte of the response body'),
});

export const Delivery = z.object({
  delivery_id: z.string(),
  webhook_id: z.string(),
  event_id: z.string().describe('Sent as the webhook-id header, the same on every attempt: receivers deduplicate on it'),
  event_type: z.string(),
  status: DeliveryStatus,
  attempt_count: z.number(),
  last_status_code: z.number().nullable(),
  last_latency_ms: z.number().nullable(),
  last_error: z.string().nullable(),
  last_response_excerpt: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable().describe('When it is sent next (null when succeeded or dead)'),
  created_at: z.string(),
  attempts: z.array(Attempt).describe('Every attempt, oldest first'),
});

export const DeliveryRef = z.strictObject({ delivery_id: DeliveryId });

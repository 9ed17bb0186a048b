import type { EventType } from './events.js';

// A module of its own, with nothing but the list, so the dashboard's bundle can share it.
/** The event types webhooks may subscribe to (API.md, Webhooks). */
export const WEBHOOK_EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.failed',
  'conversation.created',
  'conversation.takeover',
  'user.created',
  'user.opted_out',
  'user.opted_in',
  'call.started',
  'call.ended',
  'call.transferred',
  'source.ready',
  'source.failed',
  'campaign.finished',
  'feedback.created',
  'subscription.updated',
] as const satisfies readonly EventType[];
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

import { z } from 'zod';

/** What an account can be emailed about (API.md, Notifications). */
export const NOTIFICATION_EVENTS = ['takeover_requested', 'new_user', 'source_failed', 'campaign_finished', 'webhook_disabled', 'payment_failed', 'usage_threshold'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** Every kind of email: the events, and the daily digest. */
export type NotificationKind = NotificationEvent | 'digest';

export const MAX_EMAILS = 5;

const EVENTS_DESCRIPTION =
  'takeover_requested: a fan asks for a person (a call transferred to one), or a message arrives while a person has the conversation or the bot is off; at most one email per conversation every 5 minutes. ' +
  'new_user: new fans, one email per 15 minutes with their number (off by default: fans can arrive by thousands a day). ' +
  'source_failed: a knowledge source could not be read (once a day per source). campaign_finished: a bulk campaign completed or was canceled, with its counts. ' +
  'webhook_disabled: a webhook endpoint was switched off after failing for too long. payment_failed: a subscription payment failed. usage_threshold: usage reached 80 % or 100 % of a plan limit.';

export const NotificationSettings = z
  .object({
    emails: z.array(z.string()).describe('Where notifications go (default: the account\'s email)'),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).describe(EVENTS_DESCRIPTION),
    digest: z.boolean().describe('A daily summary of the previous UTC day (messages, new users, takeovers, calls, failed sources), sent when anything happened'),
    delivery: z.enum(['smtp', 'logged']).describe('smtp: emails are sent; logged: SMTP_URL is not set on this server, so emails are only logged'),
    updated_at: z.string().nullable().describe('Last change; null while the defaults apply'),
  })
  .meta({ id: 'NotificationSettings' });

const Email = z.email('must be an email address').max(254);

export const EditNotificationSettingsInput = z
  .strictObject({
    emails: z.array(Email).min(1, 'give 1 to 5 addresses').max(MAX_EMAILS, 'give 1 to 5 addresses').optional(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).max(NOTIFICATION_EVENTS.length).optional().describe(EVENTS_DESCRIPTION),
    digest: z.boolean().optional(),
  })
  .refine((v) => v.emails !== undefined || v.events !== undefined || v.digest !== undefined, { message: 'give at least one of emails, events, digest' });
export type EditNotificationSettingsInput = z.infer<typeof EditNotificationSettingsInput>;

export const SendTestNotificationInput = z.strictObject({}).nullish().describe('No parameters: the body may be empty or {}');

export const TestNotificationResult = z.object({
  sent: z.boolean().describe('true: the SMTP server accepted it; false: it was only logged (SMTP_URL is not set)'),
  delivery: z.enum(['smtp', 'logged']),
  to: z.array(z.string()),
  message_id: z.string().nullable().describe('The message id the email was sent with'),
  message: z.string(),
});

import { z } from 'zod';
import { PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';
import { UserId } from '../users/schemas.js';
import { SMS_STATUSES } from './statuses.js';

/** Twilio's limit for one message (it splits into up to 10 parts); Sinch's concatenation is similar. */
const MAX_SMS_BODY = 1600;

export const SendSmsInput = z.strictObject({
  bot_id: BotId,
  to: UserId.describe('The end user: their user_id, or an E.164 number (starting with +; the user is created if new)'),
  body: z.string().trim().min(1, 'must not be empty').max(MAX_SMS_BODY),
});
export type SendSmsInput = z.infer<typeof SendSmsInput>;

export const SimulateInboundInput = z.strictObject({
  to: z.string().describe('A sandbox number of the account that routes to a bot (assign_phone_number with provider "sandbox")'),
  from: z.string().describe('The texting end user\'s number, E.164'),
  body: z.string().max(MAX_SMS_BODY),
});
export type SimulateInboundInput = z.infer<typeof SimulateInboundInput>;

export const SimulatedInbound = z.object({ sms_id: z.string().describe('The stored inbound message; its answer shows in get_sms_messages once the bot has replied') });

export const GetSmsMessagesQuery = z.strictObject({
  bot_id: BotId,
  user_id: UserId.optional(),
  status: z.enum(SMS_STATUSES).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  ...PageQuery,
});
export type GetSmsMessagesQuery = z.infer<typeof GetSmsMessagesQuery>;

export const SmsMessage = z
  .object({
    sms_id: z.string(),
    bot_id: z.string(),
    user_id: z.string().nullable().describe('The end user (null for a number no user has yet)'),
    direction: z.enum(['inbound', 'outbound']),
    from: z.string(),
    to: z.string(),
    body: z.string(),
    media_urls: z.array(z.string()).describe('MMS media as the provider gave them (never fetched by sinth)'),
    status: z
      .enum(SMS_STATUSES)
      .describe('Outbound: queued (not yet handed to the provider) → sending → sent → delivered | undelivered | failed | canceled (stopped before sending: opted out, blocked, no number). Inbound: receiving → received'),
    segments: z.number().describe('Billed SMS parts: 160 GSM-7 or 70 UCS-2 characters in one, 153/67 per part beyond'),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    provider: z.string().describe('twilio, sinch, or sandbox (nothing leaves the machine)'),
    provider_message_id: z.string().nullable(),
    error_code: z.string().nullable().describe('The provider\'s error code (e.g. Twilio 21610), or opted_out, blocked, no_sms_number'),
    error_message: z.string().nullable(),
    message_id: z.string().nullable().describe('The conversation message this SMS carries'),
    campaign_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'SmsMessage' });

export const SentSms = SmsMessage.extend({
  conversation_id: z.string().describe('The user\'s SMS conversation, where the text is stored as an operator message'),
});

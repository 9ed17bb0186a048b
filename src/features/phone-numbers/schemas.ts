import { z } from 'zod';
import { PageQuery, Id } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';

/** Checked as E.164 by the service (core/phone.ts), which names the parameter when it is not. */
const PhoneNumber = z.string().trim().min(1).max(20).describe('E.164, e.g. +14155550123');
const Flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const GetPhoneNumbersQuery = z.strictObject({
  bot_id: BotId.optional().describe('Only the numbers routed to this bot'),
  ...PageQuery,
});
export type GetPhoneNumbersQuery = z.infer<typeof GetPhoneNumbersQuery>;

export const SearchNumbersQuery = z.strictObject({
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code such as US')
    .transform((c) => c.toUpperCase())
    .default('US'),
  type: z.enum(['local', 'toll_free', 'mobile']).default('local'),
  area_code: z.string().regex(/^\d{3}$/, 'must be three digits').optional().describe('US and Canada only'),
  contains: z
    .string()
    .regex(/^[0-9A-Za-z*%+$]{2,16}$/, 'must be 2-16 digits or letters, with Twilio\'s wildcards * % + $')
    .optional()
    .describe('Digits or letters the number contains, e.g. 555 or CALL'),
  sms: Flag.optional().describe('Only numbers that can send and receive SMS'),
  voice: Flag.optional().describe('Only numbers that take calls'),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchNumbersQuery = z.infer<typeof SearchNumbersQuery>;

export const PoolQuery = z.strictObject({ limit: PageQuery.limit });
export type PoolQuery = z.infer<typeof PoolQuery>;

export const PurchaseNumberInput = z.strictObject({
  phone_number: PhoneNumber.describe('A number from search_for_twilio_number'),
  bot_id: BotId.optional().describe('Route the number to this bot at once'),
});
export type PurchaseNumberInput = z.infer<typeof PurchaseNumberInput>;

export const RentNumberInput = z.strictObject({
  phone_number: PhoneNumber.describe('A number from get_number_from_pool'),
  bot_id: BotId.optional().describe('Route the number to this bot at once'),
});
export type RentNumberInput = z.infer<typeof RentNumberInput>;

export const ImportNumberInput = z.strictObject({
  phone_number: PhoneNumber,
  account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID (AC followed by 32 hex characters)'),
  auth_token: z.string().trim().min(8).max(256).describe('Stored encrypted; never returned'),
});
export type ImportNumberInput = z.infer<typeof ImportNumberInput>;

export const AssignNumberInput = z.strictObject({
  phone_number: PhoneNumber,
  bot_id: BotId,
  sms: z.boolean().optional().describe('Route SMS to the bot (default: unchanged; true for a new Sinch number when Sinch SMS is configured)'),
  voice: z.boolean().optional().describe('Route calls to the bot (default: unchanged; true for a new Sinch number when Sinch Voice is configured)'),
  provider: z.enum(['twilio', 'sinch', 'sandbox']).optional().describe('"sinch" registers a number rented on Sinch; "sandbox" registers a number that sends nothing out (the sandbox provider: try the SMS flow with simulate_inbound_sms); default: a number already in the account'),
});
export type AssignNumberInput = z.infer<typeof AssignNumberInput>;

export const DetachNumberInput = z.strictObject({
  phone_number: PhoneNumber,
  release: z.boolean().default(false).describe('Also let the number go: a purchased one is released at Twilio, an imported or Sinch one is removed from sinth'),
});
export type DetachNumberInput = z.infer<typeof DetachNumberInput>;

const Capabilities = z.object({ sms: z.boolean(), voice: z.boolean() });
const ProviderCapabilities = Capabilities.extend({ mms: z.boolean() });

export const PhoneNumberView = z
  .object({
    number_id: Id('num', 'phone number'),
    phone_number: z.string(),
    provider: z.enum(['twilio', 'sinch', 'sandbox']),
    source: z.enum(['purchased', 'imported', 'pool', 'sinch', 'sandbox']).describe('pool: rented from the platform\'s numbers'),
    bot_id: z.string().nullable(),
    capabilities: Capabilities.describe('Channels routed to the bot'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'PhoneNumber' });

export const AvailableNumberView = z
  .object({
    phone_number: z.string(),
    friendly_name: z.string(),
    country: z.string(),
    locality: z.string().nullable(),
    region: z.string().nullable(),
    capabilities: ProviderCapabilities,
  })
  .meta({ id: 'AvailableNumber' });

export const PoolNumberView = z
  .object({ phone_number: z.string(), friendly_name: z.string(), capabilities: ProviderCapabilities })
  .meta({ id: 'PoolNumber' });

export const NumberList = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.null() });

export const DetachResult = z.object({
  number_id: z.string(),
  phone_number: z.string(),
  bot_id: z.null(),
  released: z.boolean().describe('Given back to Twilio (a purchased number)'),
  returned_to_pool: z.boolean().describe('A rented number, back in the platform\'s pool'),
  removed: z.boolean().describe('No longer among the account\'s numbers'),
});

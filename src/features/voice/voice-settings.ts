import { z } from 'zod';
import { SINCH_REGIONS, type Config } from '../../config.js';

export type SinchRegion = (typeof SINCH_REGIONS)[number];

/**
 * A bot's voice settings, stored as a partial object in `bots.voice`; what is not set takes the
 * default below. `region` defaults to SINCH_VOICE_REGION, so it is filled in by effectiveVoice.
 */
export const DEFAULT_VOICE = {
  /** Who places outbound calls; null: the provider of the bot's voice number. */
  provider: null as 'sinch' | 'twilio' | null,
  /** Speech recognition and speech language. */
  locale: 'en-US',
  /** A text-to-speech voice name (Twilio `Polly.Joanna`, Sinch `Joanna`); null: the provider's default for the locale. */
  voice: null as string | null,
  /** The caller may interrupt the bot while it speaks. */
  barge_in: true,
  /** Silence that ends the caller's turn. */
  silence_timeout_seconds: 5,
  /** Calls end politely after this long. */
  max_duration_seconds: 1800,
  /** Record calls (the recording is the end user's data: erased with them). */
  record: false,
  /** Answering-machine detection on outbound calls: a machine gets the voicemail message. */
  amd: false,
  voicemail_message: 'Hi, this is {{bot_name}}. Sorry I missed you. Call me back any time.',
  /** Said after a silence, at most `max_reprompts` times in a row before the call ends. */
  reprompt_message: 'Are you still there?',
  max_reprompts: 2,
  goodbye_message: 'Thanks for calling. Goodbye!',
};

export type VoiceSettings = typeof DEFAULT_VOICE & { region: SinchRegion };

const Message = z.string().trim().min(1).max(600);

/** A partial update; null resets a field to its default. */
export const VoicePatch = z.strictObject({
  provider: z.enum(['sinch', 'twilio']).nullable().optional().describe('Who places outbound calls; null: the provider of the bot\'s voice number'),
  region: z.enum(SINCH_REGIONS).nullable().optional().describe('Sinch Voice region of outbound calls (global, use1, euc1, sae1, apse1, apse2); null: SINCH_VOICE_REGION'),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}-[A-Z]{2}$/, 'must be a language-REGION code such as en-US')
    .nullable()
    .optional()
    .describe('Language of speech recognition and text-to-speech, e.g. en-US'),
  voice: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'must be a voice name such as Polly.Joanna')
    .nullable()
    .optional()
    .describe('Text-to-speech voice; null: the provider\'s default for the locale'),
  barge_in: z.boolean().nullable().optional().describe('Let the caller interrupt the bot'),
  silence_timeout_seconds: z.number().int().min(1).max(30).nullable().optional().describe('Silence that ends the caller\'s turn (1–30 s)'),
  max_duration_seconds: z.number().int().min(60).max(14_400).nullable().optional().describe('Longest call (60–14400 s)'),
  record: z.boolean().nullable().optional().describe('Record calls'),
  amd: z.boolean().nullable().optional().describe('Answering-machine detection on outbound calls'),
  voicemail_message: Message.nullable().optional().describe('Left on an answering machine; {{bot_name}} becomes the bot\'s name'),
  reprompt_message: Message.nullable().optional().describe('Said when the caller is silent'),
  max_reprompts: z.number().int().min(0).max(5).nullable().optional().describe('Silences in a row re-prompted before the call ends'),
  goodbye_message: Message.nullable().optional().describe('Said before the bot hangs up'),
});
export type VoicePatch = z.infer<typeof VoicePatch>;

export const VoiceView = z.object({
  provider: z.enum(['sinch', 'twilio']).nullable(),
  region: z.enum(SINCH_REGIONS),
  locale: z.string(),
  voice: z.string().nullable(),
  barge_in: z.boolean(),
  silence_timeout_seconds: z.number().int(),
  max_duration_seconds: z.number().int(),
  record: z.boolean(),
  amd: z.boolean(),
  voicemail_message: z.string(),
  reprompt_message: z.string(),
  max_reprompts: z.number().int(),
  goodbye_message: z.string(),
});

export function effectiveVoice(stored: Record<string, unknown>, config: Pick<Config, 'SINCH_VOICE_REGION'>): VoiceSettings {
  return { ...DEFAULT_VOICE, region: config.SINCH_VOICE_REGION, ...stored } as VoiceSettings;
}

import { z } from 'zod';
import { CHANNELS, type Channel } from '../../core/channels.js';


/**
 * A bot's conversation policy, on top of the hard limits no setting can switch off. Stored as a
 * partial object in `bots.policy`; what is not set takes the default below.
 */
export const DEFAULT_POLICY = {
  /** Users must confirm they are 18 or older before the bot says anything else. */
  age_gate: false,
  age_confirmation_message: 'This chat is for adults only. Reply YES to confirm you are 18 or older.',
  /** Subjects this bot refuses, matched as whole words or phrases on the user's message and on the reply. */
  blocked_topics: [] as string[],
  blocked_topic_reply: "That's something I don't talk about. Let's talk about something else.",
  /** Shown when a conversation starts on the listed channels, and the model is told not to deny being an AI. */
  ai_disclosure: null as string | null,
  ai_disclosure_channels: [...CHANNELS] as Channel[],
  /** The SMS answer to HELP and INFO (carriers require one); {{bot_name}} becomes the bot's name. */
  help_text: '{{bot_name}}: you are texting an AI. Msg & data rates may apply. Reply STOP to unsubscribe, START to resubscribe.',
};
export type Policy = typeof DEFAULT_POLICY;

const Topic = z.string().trim().min(2, 'topics are at least 2 characters').max(100);

/** A partial update; null resets a field to its default. */
export const PolicyPatch = z.strictObject({
  age_gate: z.boolean().nullable().optional().describe('Require users to confirm they are 18+ before anything else'),
  age_confirmation_message: z.string().trim().min(1).max(500).nullable().optional().describe('Sent to unverified users; they confirm by replying YES (or `age_confirmed: true` through the API)'),
  blocked_topics: z.array(Topic).max(100).nullable().optional().describe('Whole words or phrases this bot refuses on input and output'),
  blocked_topic_reply: z.string().trim().min(1).max(500).nullable().optional(),
  ai_disclosure: z.string().trim().min(1).max(300).nullable().optional().describe('A line such as "You are chatting with an AI." sent when a conversation starts; null turns it off'),
  ai_disclosure_channels: z.array(z.enum(CHANNELS)).max(CHANNELS.length).nullable().optional(),
  help_text: z.string().trim().min(1).max(320).nullable().optional().describe('The SMS answer to HELP/INFO; {{bot_name}} becomes the bot\'s name. Name the sender and say how to opt out (STOP)'),
});
export type PolicyPatch = z.infer<typeof PolicyPatch>;

export const PolicyView = z.object({
  age_gate: z.boolean(),
  age_confirmation_message: z.string(),
  blocked_topics: z.array(z.string()),
  blocked_topic_reply: z.string(),
  ai_disclosure: z.string().nullable(),
  ai_disclosure_channels: z.array(z.enum(CHANNELS)),
  help_text: z.string(),
});

export function effectivePolicy(stored: Record<string, unknown>): Policy {
  return { ...DEFAULT_POLICY, ...stored } as Policy;
}

/** A partial settings update applied to the stored partial object: null removes a key (its default returns). */
export function mergeSettings(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete next[k];
    else next[k] = Array.isArray(v) ? [...new Set(v)] : v;
  }
  return next;
}

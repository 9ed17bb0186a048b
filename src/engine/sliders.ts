import { DEFAULT_VALUES, BUILTIN_SLIDERS } from '../features/prompts/settings.js';

/**
 * How behaviour sliders (0-100) become model settings and prompt lines. This table is the one place
 * the mapping lives; the README and the tests describe the same numbers.
 *
 * | slider      | effect                                                                        |
 * |-------------|-------------------------------------------------------------------------------|
 * | creativity  | temperature = 0.2 + creativity/100 (0.2 … 1.2)                                  |
 * | length      | max output tokens: 0 → 60, 50 → 250, 100 → 800 (linear between); plus a length line |
 * | formality   | 5 bands: very casual … very formal (the middle band adds no line)               |
 * | humor       | 5 bands: serious … very playful (middle: no line)                               |
 * | warmth      | 5 bands: reserved … very affectionate (middle: no line)                         |
 * | emoji       | 0: none; 1-30: rarely; 31-70: now and then; 71-100: often                       |
 * | reply_delay | SMS typing delay: reply_delay/100 × 30 seconds (0 … 30 s); no prompt line       |
 * | any other   | a trait line: "<name>: barely|a little|moderately|quite|very (n/100)"           |
 */
export interface SliderEffects {
  temperature: number;
  maxTokens: number;
  replyDelaySeconds: number;
  /** Style lines for the system prompt, in a fixed order. */
  instructions: string[];
}

type Bands = [string | null, string | null, string | null, string | null, string | null];

/** Five bands of 0-20, 21-40, 41-60, 61-80, 81-100. */
const band = (value: number, bands: Bands): string | null => bands[Math.min(4, Math.max(0, Math.ceil(value / 20) - 1))] ?? null;

const FORMALITY: Bands = [
  'Write very casually, like texting a close friend; slang and fragments are fine.',
  'Keep a casual, relaxed tone.',
  null,
  'Keep a polished, well-mannered tone.',
  'Write formally and precisely; no slang.',
];
const HUMOR: Bands = ['Stay serious; no jokes.', 'Keep humour light and rare.', null, 'Be playful and witty.', 'Be very playful: tease, joke and banter freely.'];
const WARMTH: Bands = [
  'Stay reserved and matter-of-fact.',
  'Be friendly but a little reserved.',
  null,
  'Be warm and caring.',
  'Be openly affectionate and emotionally warm.',
];
const LENGTH: Bands = [
  'Reply in one short sentence.',
  'Keep replies short: one to two sentences.',
  'Keep replies to a short paragraph.',
  'Replies may run to a couple of paragraphs when useful.',
  'Give full, detailed replies.',
];
const DEGREE: Bands = ['barely', 'a little', 'moderately', 'quite', 'very'];

function emojiLine(value: number): string {
  if (value === 0) return 'Do not use emoji.';
  if (value <= 30) return 'Use emoji rarely.';
  if (value <= 70) return 'Use an emoji now and then.';
  return 'Use emoji often.';
}

/** Linear between the points (0, 60), (50, 250), (100, 800). */
function maxTokensFor(length: number): number {
  return Math.round(length <= 50 ? 60 + (length / 50) * 190 : 250 + ((length - 50) / 50) * 550);
}

export function sliderEffects(stored: Record<string, number>): SliderEffects {
  const v: typeof DEFAULT_VALUES & Record<string, number> = { ...DEFAULT_VALUES, ...stored };
  const instructions = [band(v.length, LENGTH), band(v.formality, FORMALITY), band(v.humor, HUMOR), band(v.warmth, WARMTH), emojiLine(v.emoji)].filter(
    (line): line is string => line !== null,
  );
  const custom = Object.keys(v)
    .filter((name) => !(BUILTIN_SLIDERS as readonly string[]).includes(name))
    .sort();
  for (const name of custom) instructions.push(`Trait ${name.replace(/_/g, ' ')}: ${band(v[name]!, DEGREE)} (${v[name]}/100).`);
  return {
    temperature: Math.round((0.2 + v.creativity / 100) * 100) / 100,
    maxTokens: maxTokensFor(v.length),
    replyDelaySeconds: Math.round((v.reply_delay / 100) * 30 * 10) / 10,
    instructions,
  };
}

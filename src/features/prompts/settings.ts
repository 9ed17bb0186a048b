import { z } from 'zod';

/**
 * Behaviour sliders (0-100). The built-in ones drive sampling and style (the engine documents the
 * mapping); any other name is a custom trait rendered into the prompt.
 */
export const BUILTIN_SLIDERS = ['creativity', 'length', 'formality', 'humor', 'warmth', 'emoji', 'reply_delay'] as const;
export type BuiltinSlider = (typeof BUILTIN_SLIDERS)[number];

export const DEFAULT_VALUES: Record<BuiltinSlider, number> = {
  creativity: 50,
  length: 50,
  formality: 50,
  humor: 50,
  warmth: 50,
  emoji: 30,
  reply_delay: 0,
};

export const MAX_CUSTOM_SLIDERS = 20;

const SliderName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'slider names are lower-case letters, digits and _ (max 40), starting with a letter');
const SliderValue = z.number().int('must be a whole number').min(0, 'must be 0-100').max(100, 'must be 0-100');

/** A partial update: a number sets a slider, null resets a built-in one or removes a custom one. */
export const ValuesPatch = z.record(SliderName, SliderValue.nullable()).describe('Sliders 0-100; null resets a built-in slider or removes a custom one');
export const ValuesInput = z.record(SliderName, SliderValue);
export const Values = z.record(z.string(), z.number()).describe(`Built-in: ${BUILTIN_SLIDERS.join(', ')}; plus custom traits`);

/** Applies a patch to stored sliders; throws a message naming the problem if too many custom sliders result. */
export function mergeValues(stored: Record<string, number>, patch: Record<string, number | null>): Record<string, number> {
  const next: Record<string, number> = { ...stored };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return next;
}

export function countCustom(values: Record<string, number>): number {
  return Object.keys(values).filter((k) => !(BUILTIN_SLIDERS as readonly string[]).includes(k)).length;
}

/** What the API shows: defaults for built-ins not set, then the stored values. */
export function effectiveValues(stored: Record<string, number>): Record<string, number> {
  return { ...DEFAULT_VALUES, ...stored };
}

const Hex = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a hex color such as #1a2b3c');
export const HttpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).max(2048);

export const DEFAULT_UI = {
  title: null as string | null,
  primary_color: '#6d28d9',
  background_color: '#ffffff',
  text_color: '#111827',
  avatar_url: null as string | null,
  position: 'bottom-right' as 'bottom-right' | 'bottom-left',
  launcher_text: 'Chat with us',
  theme: 'auto' as 'light' | 'dark' | 'auto',
};

/** Appearance of the web chat widget; a partial update, null resets a field to its default. */
export const UiPatch = z.strictObject({
  title: z.string().trim().min(1).max(60).nullable().optional().describe('Header title; default: the bot name'),
  primary_color: Hex.nullable().optional(),
  background_color: Hex.nullable().optional(),
  text_color: Hex.nullable().optional(),
  avatar_url: HttpsUrl.nullable().optional(),
  position: z.enum(['bottom-right', 'bottom-left']).nullable().optional(),
  launcher_text: z.string().trim().min(1).max(40).nullable().optional(),
  theme: z.enum(['light', 'dark', 'auto']).nullable().optional(),
});
export type UiPatch = z.infer<typeof UiPatch>;

export const Ui = z.object({
  title: z.string(),
  primary_color: z.string(),
  background_color: z.string(),
  text_color: z.string(),
  avatar_url: z.string().nullable(),
  position: z.enum(['bottom-right', 'bottom-left']),
  launcher_text: z.string(),
  theme: z.enum(['light', 'dark', 'auto']),
});

export function mergeUi(stored: Record<string, unknown>, patch: UiPatch): Record<string, unknown> {
  const next: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

export function effectiveUi(stored: Record<string, unknown>, botName: string): z.infer<typeof Ui> {
  const merged = { ...DEFAULT_UI, ...stored } as typeof DEFAULT_UI;
  return { ...merged, title: merged.title ?? botName };
}

export const PROMPT_MAX = 32_000;
export const OPENING_MAX = 2_000;
export const Prompt = z.string().max(PROMPT_MAX, `must be at most ${PROMPT_MAX} characters`);
export const OpeningMessage = z.string().max(OPENING_MAX, `must be at most ${OPENING_MAX} characters`);

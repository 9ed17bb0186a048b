// Pure logic of the chat widget: no DOM globals here, so unit tests run it in node.
import type { ShownMessage, WidgetUi } from './types.js';

export const DEFAULT_UI: WidgetUi = {
  title: 'Chat',
  primary_color: '#6d28d9',
  background_color: '#ffffff',
  text_color: '#111827',
  avatar_url: null,
  position: 'bottom-right',
  launcher_text: 'Chat with us',
  theme: 'auto',
};

/** Dark-theme stand-ins for the default light colors (a creator's own colors are kept). */
const DARK_BG = '#111827';
const DARK_TEXT = '#f3f4f6';

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** GET /get_ui's `ui`, with anything missing or malformed replaced by the default. */
export function normalizeUi(raw: unknown): WidgetUi {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (k: keyof WidgetUi) => (typeof r[k] === 'string' && (r[k] as string).trim() ? (r[k] as string).trim() : (DEFAULT_UI[k] as string));
  const color = (k: 'primary_color' | 'background_color' | 'text_color') => (typeof r[k] === 'string' && HEX.test(r[k] as string) ? (r[k] as string) : DEFAULT_UI[k]);
  return {
    title: str('title'),
    primary_color: color('primary_color'),
    background_color: color('background_color'),
    text_color: color('text_color'),
    avatar_url: typeof r.avatar_url === 'string' && r.avatar_url ? r.avatar_url : null,
    position: r.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
    launcher_text: str('launcher_text'),
    theme: r.theme === 'light' || r.theme === 'dark' ? r.theme : 'auto',
  };
}

/** The localStorage key for one bot's value, so two bots on one site keep separate users. */
export const storageKey = (bot: string, what: 'user' | 'age') => `sinth:${bot}:${what}`;

/** The part of Storage the widget uses. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** A store that never throws: storage can be blocked (privacy modes, sandboxed frames); memory then. */
export function safeStore(open: () => KeyValueStore | null | undefined): KeyValueStore {
  const memory = new Map<string, string>();
  let store: KeyValueStore | null = null;
  try {
    store = open() ?? null;
  } catch {
    store = null;
  }
  return {
    getItem(key) {
      try {
        if (store) return store.getItem(key);
      } catch {
        // fall through to memory
      }
      return memory.get(key) ?? null;
    },
    setItem(key, value) {
      memory.set(key, value);
      try {
        store?.setItem(key, value);
      } catch {
        // memory keeps it for this page view
      }
    },
  };
}

/** An RFC 4122 version-4 UUID from 16 random bytes (crypto.randomUUID exists only on https pages). */
export function uuidFromBytes(bytes: ArrayLike<number>): string {
  const b = Array.from({ length: 16 }, (_, i) => (bytes[i] ?? 0) & 0xff);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const USER_ID = /^web_[0-9a-f-]{36}$/;

/** This browser's end-user id for a bot: kept in storage so the conversation continues next visit. */
export function userIdFor(store: KeyValueStore, bot: string, newUuid: () => string): string {
  const key = storageKey(bot, 'user');
  const stored = store.getItem(key);
  if (stored && USER_ID.test(stored)) return stored;
  const id = `web_${newUuid()}`;
  store.setItem(key, id);
  return id;
}

/**
 * Whether the widget may show this avatar: only an image on the widget's own server or inline
 * (data:image/...), so embedding the widget never makes the visitor's browser call a third party.
 */
export function avatarAllowed(url: string | null | undefined, hostOrigin: string): boolean {
  if (!url) return false;
  if (/^data:image\/(?:png|jpe?g|gif|webp|svg\+xml|avif)[;,]/i.test(url)) return true;
  try {
    return new URL(url).origin === hostOrigin;
  } catch {
    return false;
  }
}

/** The title's first letter, shown when there is no usable avatar. */
export function initialOf(title: string): string {
  const ch = Array.from(title.trim())[0];
  return ch ? ch.toUpperCase() : '?';
}

function rgb(hex: string): [number, number, number] {
  let h = hex.replace('#', '');
  if (h.length === 3) h = h.replace(/./g, (c) => c + c);
  const n = parseInt(h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex(c: [number, number, number]): string {
  return `#${c.map((x) => Math.round(x).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance. */
export function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** White or near-black text, whichever reads better on this background. */
export function readableOn(bg: string): string {
  return contrast('#ffffff', bg) >= contrast('#111111', bg) ? '#ffffff' : '#111111';
}

/** `a` moved `t` (0..1) of the way towards `b`. */
export function mix(a: string, b: string, t: number): string {
  const x = rgb(a);
  const y = rgb(b);
  return toHex([0, 1, 2].map((i) => x[i]! + (y[i]! - x[i]!) * t) as [number, number, number]);
}

export interface Palette {
  bg: string;
  fg: string;
  primary: string;
  onPrimary: string;
  /** The bot's bubbles and the header: a shade of the background. */
  surface: string;
  border: string;
  /** Focus rings: the primary color where it shows against the background, else the text color. */
  focus: string;
  dark: boolean;
}

/** The colors to draw with: the configured ones, with dark stand-ins for untouched defaults in dark mode. */
export function resolvePalette(ui: WidgetUi, prefersDark: boolean): Palette {
  const dark = ui.theme === 'dark' || (ui.theme === 'auto' && prefersDark);
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const bg = dark && same(ui.background_color, DEFAULT_UI.background_color) ? DARK_BG : ui.background_color;
  const fg = dark && same(ui.text_color, DEFAULT_UI.text_color) ? DARK_TEXT : ui.text_color;
  const primary = ui.primary_color;
  return {
    bg,
    fg,
    primary,
    onPrimary: readableOn(primary),
    surface: mix(bg, fg, 0.07),
    border: mix(bg, fg, 0.25),
    focus: contrast(primary, bg) >= 3 ? primary : fg,
    dark,
  };
}

/** get_conversation_external's page (newest first) as the widget shows it: oldest first. */
export function historyToShow(data: unknown): ShownMessage[] {
  if (!Array.isArray(data)) return [];
  return data
    .filter((m): m is { role: string; content: string } => !!m && typeof m.content === 'string' && (m.role === 'user' || m.role === 'assistant'))
    .map((m) => ({ role: m.role as ShownMessage['role'], content: m.content }))
    .reverse();
}

/** The API's own words for a failed call, or a plain sentence when there were none. */
export function errorMessage(status: number, body: unknown): string {
  const msg = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof msg === 'string' && msg) return msg;
  if (status === 0) return 'Could not reach the chat server. Check your connection and try again.';
  if (status === 429) return 'Too many messages right now; please wait a moment and try again.';
  return `The chat server could not answer (HTTP ${status}). Please try again.`;
}

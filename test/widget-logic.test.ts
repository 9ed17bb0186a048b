import { describe, expect, it } from 'vitest';
import {
  avatarAllowed,
  contrast,
  DEFAULT_UI,
  errorMessage,
  historyToShow,
  initialOf,
  normalizeUi,
  resolvePalette,
  safeStore,
  storageKey,
  userIdFor,
  uuidFromBytes,
} from '../web/widget/logic.js';
import { reuseIdempotencyKey } from '../web/shared/idempotency.js';

const memory = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
};

describe('widget: end-user id', () => {
  it('creates web_<uuid> once per bot and keeps it', () => {
    const s = memory();
    let n = 0;
    const gen = () => uuidFromBytes(new Uint8Array(16).fill(++n));
    const a = userIdFor(s, 'bot_a', gen);
    expect(a).toMatch(/^web_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(userIdFor(s, 'bot_a', gen)).toBe(a);
    expect(s.m.get('sinth:bot_a:user')).toBe(a);
    const b = userIdFor(s, 'bot_b', gen);
    expect(b).not.toBe(a);
  });

  it('replaces a stored value that is not one of its ids', () => {
    const s = memory();
    s.setItem(storageKey('bot_a', 'user'), 'someone-else');
    expect(userIdFor(s, 'bot_a', () => uuidFromBytes(new Uint8Array(16)))).toBe('web_00000000-0000-4000-8000-000000000000');
  });

  it('falls back to memory when storage throws', () => {
    const broken = safeStore(() => {
      throw new Error('SecurityError');
    });
    broken.setItem('k', 'v');
    expect(broken.getItem('k')).toBe('v');
    const throwing = safeStore(() => ({ getItem: () => { throw new Error('no'); }, setItem: () => { throw new Error('no'); } }));
    throwing.setItem('k', 'v');
    expect(throwing.getItem('k')).toBe('v');
  });
});

describe('widget: avatar rule', () => {
  const host = 'https://api.sinth.example';
  it('allows the widget server and inline images only', () => {
    expect(avatarAllowed('https://api.sinth.example/files/a.png', host)).toBe(true);
    expect(avatarAllowed('data:image/png;base64,AAAA', host)).toBe(true);
    expect(avatarAllowed('https://cdn.example.com/a.png', host)).toBe(false);
    expect(avatarAllowed('https://api.sinth.example.evil.com/a.png', host)).toBe(false);
    expect(avatarAllowed('data:text/html,<script>', host)).toBe(false);
    expect(avatarAllowed('javascript:alert(1)', host)).toBe(false);
    expect(avatarAllowed(null, host)).toBe(false);
  });
  it('shows the title initial otherwise', () => {
    expect(initialOf('luna')).toBe('L');
    expect(initialOf('  ')).toBe('?');
  });
});

describe('widget: appearance', () => {
  it('fills defaults for missing or malformed fields', () => {
    expect(normalizeUi(null)).toEqual(DEFAULT_UI);
    const ui = normalizeUi({ title: 'Luna', primary_color: 'red', position: 'bottom-left', theme: 'dark', avatar_url: '' });
    expect(ui).toMatchObject({ title: 'Luna', primary_color: DEFAULT_UI.primary_color, position: 'bottom-left', theme: 'dark', avatar_url: null });
  });

  it('uses the configured colors in light mode and dark stand-ins for untouched defaults', () => {
    const light = resolvePalette({ ...DEFAULT_UI, theme: 'auto' }, false);
    expect(light).toMatchObject({ bg: '#ffffff', fg: '#111827', dark: false });
    const auto = resolvePalette({ ...DEFAULT_UI, theme: 'auto' }, true);
    expect(auto.dark).toBe(true);
    expect(auto.bg).not.toBe('#ffffff');
    expect(resolvePalette({ ...DEFAULT_UI, theme: 'light' }, true).dark).toBe(false);
    const custom = resolvePalette({ ...DEFAULT_UI, theme: 'dark', background_color: '#002244', text_color: '#eeeeee' }, false);
    expect(custom).toMatchObject({ bg: '#002244', fg: '#eeeeee', dark: true });
  });

  it('default colors pass WCAG AA in both themes', () => {
    for (const dark of [false, true]) {
      const p = resolvePalette(DEFAULT_UI, dark);
      expect(contrast(p.fg, p.bg)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(p.fg, p.surface)).toBeGreaterThanOrEqual(4.5);
      expect(contrast(p.onPrimary, p.primary)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('picks readable text on a light primary color', () => {
    const p = resolvePalette({ ...DEFAULT_UI, primary_color: '#fde047' }, false);
    expect(p.onPrimary).toBe('#111111');
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });
});

describe('widget: history and errors', () => {
  it('shows history oldest first, skipping anything malformed', () => {
    const shown = historyToShow([
      { message_id: 'm3', role: 'assistant', content: 'Hi Ann' },
      { message_id: 'm2', role: 'user', content: 'I am Ann' },
      { message_id: 'mx', role: 'system', content: 'hidden' },
      { message_id: 'm1', role: 'assistant', content: 'Hello' },
    ]);
    expect(shown).toEqual([
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'I am Ann' },
      { role: 'assistant', content: 'Hi Ann' },
    ]);
    expect(historyToShow(undefined)).toEqual([]);
  });

  it('words errors as the API does', () => {
    expect(errorMessage(403, { error: { code: 'origin_not_allowed', message: 'This key may not be used from origin x.' } })).toBe('This key may not be used from origin x.');
    expect(errorMessage(0, null)).toMatch(/reach the chat server/);
    expect(errorMessage(502, 'oops')).toMatch(/HTTP 502/);
  });

  it('reuses the idempotency key only where the server did not store an answer under it', () => {
    expect([0, 401, 403, 409, 429, 500, 502, 504].every(reuseIdempotencyKey)).toBe(true);
    expect([400, 402, 404, 422].some(reuseIdempotencyKey)).toBe(false);
  });
});

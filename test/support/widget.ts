import { expect } from 'vitest';
import type { BrowserWorld } from './browser.js';

export interface WidgetBotSpec {
  /** Origins the conversation key accepts (the pages that embed the widget). */
  origins: string[];
  /** The bot's name; its handle is this, lower-cased, plus a random suffix. */
  name?: string;
  /** edit_ui fields. */
  ui?: Record<string, unknown>;
  openingMessage?: string;
  /** An age gate with this confirmation message. */
  ageGate?: string;
}

/** An account, a bot styled for the widget, and a conversation key for the given origins. */
export async function makeWidgetBot(w: BrowserWorld, spec: WidgetBotSpec) {
  const { key } = await w.h.signup();
  const name = spec.name ?? 'Luna';
  const handle = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`;
  const { bot_id: botId } = await w.h.createBot(key, { name, handle });
  const ok = async (path: string, body: Record<string, unknown>) => {
    const res = await w.h.request('POST', path, { key, body });
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  };
  if (spec.ui) await ok('/edit_ui', { bot_id: botId, ui: spec.ui });
  if (spec.openingMessage !== undefined) await ok('/edit_opening_message', { bot_id: botId, opening_message: spec.openingMessage });
  if (spec.ageGate !== undefined) await ok('/edit_policy', { bot_id: botId, policy: { age_gate: true, age_confirmation_message: spec.ageGate } });
  const { key: convKey } = await ok('/create_api_key', { name: 'widget', scope: 'conversation', bot_ids: [botId], allowed_origins: spec.origins });
  return { key, botId: botId as string, handle, convKey: convKey as string };
}

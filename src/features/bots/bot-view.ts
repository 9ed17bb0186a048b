import type { BotRow } from '../../db/schema.js';
import { effectivePolicy } from '../prompts/policy-settings.js';
import { effectiveUi, effectiveValues } from '../prompts/settings.js';

/** A takeover with a resume time ends by itself once that time has passed. */
export function isEnabled(enabled: boolean, resumeAt: Date | null, now = Date.now()): boolean {
  return enabled || (resumeAt !== null && resumeAt.getTime() <= now);
}

export function toBot(row: BotRow) {
  const enabled = isEnabled(row.response_enabled, row.response_resume_at);
  return {
    bot_id: row.id,
    name: row.name,
    handle: row.handle,
    prompt: row.prompt,
    prompt_version: row.prompt_version,
    opening_message: row.opening_message,
    ui: effectiveUi(row.ui, row.name),
    values: effectiveValues(row.sliders),
    model: row.model,
    calendar_link: row.calendar_link,
    transfer_number: row.transfer_number,
    policy: effectivePolicy(row.policy),
    response_enabled: enabled,
    response_resume_at: enabled ? null : (row.response_resume_at?.toISOString() ?? null),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

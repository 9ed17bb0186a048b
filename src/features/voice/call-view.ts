import type { Selectable } from 'kysely';
import type { CallRow, CallTurnsTable } from '../../db/schema.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toCallView(row: CallRow, userId: string | null) {
  return {
    call_id: row.id,
    bot_id: row.bot_id,
    user_id: userId,
    conversation_id: row.conversation_id,
    provider: row.provider,
    provider_call_id: row.provider_call_id,
    direction: row.direction,
    from: row.from_number,
    to: row.to_number,
    status: row.status,
    result: row.result,
    reason: row.reason,
    purpose: row.purpose,
    amd: row.amd,
    answered_by: row.answered_by as 'human' | 'machine' | 'unknown' | null,
    transfer: row.transferred_to && row.transferred_at ? { to: row.transferred_to, at: row.transferred_at.toISOString() } : null,
    recording_url: row.recording_url,
    duration_seconds: row.duration_seconds,
    cost: row.cost,
    currency: row.currency,
    error: row.error_message,
    created_at: row.created_at.toISOString(),
    answered_at: iso(row.answered_at),
    ended_at: iso(row.ended_at),
  };
}

/** A call with its transcript, and the server's latency over its bot turns (what the caller waited for). */
export function toCallDetail(row: CallRow, userId: string | null, turns: Array<Selectable<CallTurnsTable>>) {
  const latencies = turns.flatMap((t) => (t.latency_ms === null ? [] : [t.latency_ms])).sort((a, b) => a - b);
  return {
    ...toCallView(row, userId),
    transcript: turns.map((t) => ({
      turn_id: t.id,
      role: t.role,
      kind: t.kind,
      text: t.text,
      at: t.created_at.toISOString(),
      latency_ms: t.latency_ms,
      engine_ms: t.engine_ms,
      message_id: t.message_id,
    })),
    latency: { turns: latencies.length, p50_ms: latencies.length ? latencies[Math.floor((latencies.length - 1) / 2)]! : null, max_ms: latencies.length ? latencies[latencies.length - 1]! : null },
  };
}

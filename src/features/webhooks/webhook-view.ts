import type { Selectable } from 'kysely';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from '../../db/tables/webhooks.js';

/** A timestamp as the API and the SQL parameters carry it (null stays null). */
export function iso(d: Date): string;
export function iso(d: Date | null): string | null;
export function iso(d: Date | null): string | null {
  return d?.toISOString() ?? null;
}

/** An endpoint as the API shows it: never its secret. */
export function toWebhook(row: Selectable<WebhooksTable>) {
  return {
    webhook_id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    disabled_at: iso(row.disabled_at),
    disabled_reason: row.disabled_reason,
    failing_since: iso(row.failing_since),
    created_at: row.created_at.toISOString(),
  };
}

function toAttempt(row: Selectable<WebhookAttemptsTable>) {
  return {
    attempt: row.attempt,
    attempted_at: row.attempted_at.toISOString(),
    status_code: row.status_code,
    latency_ms: row.latency_ms,
    error: row.error,
    response_excerpt: row.response,
  };
}

export function toDelivery(row: Selectable<WebhookDeliveriesTable>, attempts: Array<Selectable<WebhookAttemptsTable>>) {
  return {
    delivery_id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempt_count: row.attempts,
    last_status_code: row.last_status_code,
    last_latency_ms: row.last_latency_ms,
    last_error: row.last_error,
    last_response_excerpt: row.last_response,
    last_attempt_at: iso(row.last_attempt_at),
    next_attempt_at: row.status === 'pending' || row.status === 'failed' ? iso(row.next_attempt_at) : null,
    created_at: row.created_at.toISOString(),
    attempts: attempts.map(toAttempt),
  };
}

import { randomBytes } from 'node:crypto';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import { encryptSecret } from '../../core/secrets.js';
import { secretContext } from '../webhooks/webhooks-service.js';

type Row = Record<string, unknown>;

export interface ImportNotes {
  webhooks: Array<{ webhook_id: string; url: string; secret: string }>;
  notes: string[];
}

export interface FixupContext {
  trx: Transaction<DB>;
  config: Config;
  now: Date;
  report: ImportNotes;
}

/**
 * What an imported row needs beyond fresh ids, so that the new account works on this server, never
 * collides with what the server holds already (the same archive imported twice, or the exporting
 * account still here), and never sends anything a second time. Rows returned are inserted; the report
 * says what was changed or skipped.
 */
export const FIXUPS: Record<string, (rows: Row[], ctx: FixupContext) => Promise<Row[]>> = {
  async bots(rows, ctx) {
    // Handles are unique on the server: a taken one is dropped (the bot stays reachable by its id).
    const handles = rows.map((r) => r.handle).filter((h): h is string => typeof h === 'string');
    const taken = await existing(ctx.trx, sql<{ v: string }>`select lower(handle) as v from bots where deleted_at is null and lower(handle) in (${sql.join(handles.map((h) => h.toLowerCase()))})`, handles.length);
    for (const r of rows) {
      if (typeof r.handle === 'string' && taken.has(r.handle.toLowerCase())) {
        ctx.report.notes.push(`bot ${String(r.id)}: the handle "${r.handle}" is taken on this server; the imported bot has none (give it a new one)`);
        r.handle = null;
      }
    }
    return rows;
  },

  async knowledge_sources(rows, ctx) {
    // Their ingestion job stayed on the other server: they would wait forever.
    for (const r of rows) {
      if (r.status === 'queued' || r.status === 'processing') {
        r.status = 'failed';
        r.error = 'Still being read when the account was exported; refresh the source to read it again.';
        ctx.report.notes.push(`knowledge source ${String(r.id)} was not read yet when exported: it is marked failed, refresh it`);
      }
    }
    return rows;
  },

  async phone_numbers(rows, ctx) {
    const numbers = rows.map((r) => String(r.phone_number));
    const taken = await existing(ctx.trx, sql<{ v: string }>`select phone_number as v from phone_numbers where phone_number in (${sql.join(numbers)})`, numbers.length);
    return rows.filter((r) => {
      if (taken.has(String(r.phone_number))) {
        ctx.report.notes.push(`number ${String(r.phone_number)} is already on this server (another account or the pool): not attached`);
        return false;
      }
      if (r.source === 'imported') {
        // Its Twilio auth token is never exported: without it nothing can be sent from it.
        ctx.report.notes.push(`number ${String(r.phone_number)} was imported from a Twilio account whose token is not exported: import it again with import_twilio_number`);
        return false;
      }
      return true;
    });
  },

  async campaigns(rows, ctx) {
    // A campaign still sending on the other server must not be sent again from here: it comes in canceled.
    for (const r of rows) {
      r.jobs_schema = ctx.config.JOBS_SCHEMA;
      if (r.status === 'scheduled' || r.status === 'queued' || r.status === 'sending') {
        ctx.report.notes.push(`campaign ${String(r.id)} was ${String(r.status)}: it comes in canceled (nothing is sent twice); send it again if needed`);
        r.status = 'canceled';
        r.canceled_at = ctx.now.toISOString();
      }
    }
    return rows;
  },

  async campaign_recipients(rows) {
    for (const r of rows) if (r.state === 'pending') r.state = 'canceled';
    return rows;
  },

  async sms_messages(rows, ctx) {
    const keys = rows.map((r) => r.send_key).filter((k): k is string => typeof k === 'string');
    const takenKeys = await existing(ctx.trx, sql<{ v: string }>`select send_key as v from sms_messages where send_key in (${sql.join(keys)})`, keys.length);
    const ids = rows.map((r) => r.provider_message_id).filter((k): k is string => typeof k === 'string');
    const takenIds = await existing(ctx.trx, sql<{ v: string }>`select provider || ' ' || provider_message_id as v from sms_messages where provider_message_id in (${sql.join(ids)})`, ids.length);
    for (const r of rows) {
      // Texts the old server had not finished sending are not this server's to send (the reconcile sweep
      // would send a 'sending' one again): they come in failed, and inbound ones as received.
      if (r.direction === 'outbound' && (r.status === 'queued' || r.status === 'sending')) {
        r.status = 'failed';
        r.error_message = 'Not sent before the account was moved to this server.';
      }
      if (r.direction === 'inbound' && r.status === 'receiving') r.status = 'received';
      if (typeof r.send_key === 'string' && takenKeys.has(r.send_key)) r.send_key = null;
      // The provider's id stays with the row that has it already: delivery reports update that one.
      if (typeof r.provider_message_id === 'string' && takenIds.has(`${String(r.provider)} ${r.provider_message_id}`)) r.provider_message_id = null;
    }
    return rows;
  },

  async calls(rows, ctx) {
    const ids = rows.map((r) => r.provider_call_id).filter((k): k is string => typeof k === 'string');
    const taken = await existing(ctx.trx, sql<{ v: string }>`select provider || ' ' || provider_call_id as v from calls where provider_call_id in (${sql.join(ids)})`, ids.length);
    for (const r of rows) if (typeof r.provider_call_id === 'string' && taken.has(`${String(r.provider)} ${r.provider_call_id}`)) r.provider_call_id = null;
    return rows;
  },

  async webhooks(rows, ctx) {
    // The signing secret never leaves the old server: each endpoint gets a new one, shown once in the
    // import's report, to be set on the receiving side.
    for (const r of rows) {
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      r.secret_enc = encryptSecret(secret, ctx.config.SECRET_KEY, secretContext(String(r.id)));
      ctx.report.webhooks.push({ webhook_id: String(r.id), url: String(r.url), secret });
    }
    return rows;
  },

  async outbox_events(rows, ctx) {
    for (const r of rows) r.dispatched_at ??= ctx.now.toISOString();
    return rows;
  },
};

async function existing(trx: Transaction<DB>, query: RawBuilder<{ v: string }>, count: number): Promise<Set<string>> {
  if (!count) return new Set();
  const { rows } = await query.execute(trx);
  return new Set(rows.map((r) => r.v));
}

import { createHash } from 'node:crypto';
import { sql, type RawBuilder, type Transaction, type Updateable } from 'kysely';
import type { CallRow, CallsTable, DB } from '../../db/schema.js';
import type { Database } from '../../db/database.js';
import type { ServiceContext } from '../../core/context.js';
import { eventRow, type EventType } from '../../core/events.js';
import { newId } from '../../core/ids.js';

type Q = Database | Transaction<DB>;

/** A call in any state but over. */
export const LIVE_STATUSES = ['queued', 'ringing', 'in_progress'] as const;

export function findCall(q: Q, provider: 'sinch' | 'twilio', providerCallId: string) {
  return q.selectFrom('calls').selectAll().where('provider', '=', provider).where('provider_call_id', '=', providerCallId).executeTakeFirst();
}

/**
 * The call a callback is about: by the provider's call id, else (a callback that outran the callout's
 * answer) by our own id carried in `custom` or the URL, which then learns the provider's id.
 */
export async function findCallForCallback(db: Database, provider: 'sinch' | 'twilio', providerCallId: string, ourId: string | null): Promise<CallRow | undefined> {
  const found = await findCall(db, provider, providerCallId);
  if (found || !ourId) return found;
  return db
    .updateTable('calls')
    .set({ provider_call_id: providerCallId, updated_at: new Date() })
    .where('id', '=', ourId)
    .where('provider', '=', provider)
    .where('provider_call_id', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** A callback's identity: what the provider signed, so a retry of the same callback has the same key. */
export const callbackKey = (provider: string, signed: string | Buffer) => `${provider}:${createHash('sha256').update(signed).digest('base64url')}`;

/**
 * Claims a callback before it is acted on. A callback seen before gets what was answered then (or
 * null while the first delivery is still being answered), so a retry never runs the turn twice.
 */
export async function claimCallback(q: Q, callId: string, key: string): Promise<Claim> {
  const claimed = await q.insertInto('call_events').values({ key, call_id: callId }).onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
  if (claimed) return { fresh: true };
  const seen = await q.selectFrom('call_events').select('response').where('key', '=', key).executeTakeFirst();
  return { fresh: false, response: seen?.response ?? null };
}

export type Claim = { fresh: true } | { fresh: false; response: string | null };

/**
 * The call a callback is about, claimed for it (see claimCallback), in one round trip when the call
 * is known by the provider's id, which is every callback but one that outran the callout's answer.
 */
export async function findAndClaim(db: Database, at: { provider: 'sinch' | 'twilio'; providerCallId: string; ourId: string | null; key: string }): Promise<{ call: CallRow; claim: Claim } | null> {
  const { rows } = await sql<CallRow & { fresh: boolean; seen: string | null }>`
    with c as (select * from calls where provider = ${at.provider} and provider_call_id = ${at.providerCallId}),
    claimed as (insert into call_events (key, call_id) select ${at.key}, id from c on conflict (key) do nothing returning key)
    select c.*, exists (select 1 from claimed) as fresh, (select response from call_events where key = ${at.key}) as seen from c`.execute(db);
  if (rows[0]) {
    const { fresh, seen, ...call } = rows[0];
    return { call, claim: fresh ? { fresh: true } : { fresh: false, response: seen } };
  }
  const call = await findCallForCallback(db, at.provider, at.providerCallId, at.ourId);
  return call ? { call, claim: await claimCallback(db, call.id, at.key) } : null;
}

/** The answer to a callback whose first delivery is still being answered, once it is (or null after `timeoutMs`). */
export async function awaitAnswer(db: Database, key: string, timeoutMs: number): Promise<string | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    const seen = await db.selectFrom('call_events').select('response').where('key', '=', key).executeTakeFirst();
    if (seen?.response != null) return seen.response;
  }
  return null;
}

export interface TurnDraft {
  role: 'caller' | 'bot' | 'operator';
  kind: string;
  text: string;
  messageId?: string | null;
  engineMs?: number | null;
}

export interface CallEvent {
  type: EventType;
  data: Record<string, unknown>;
}

/**
 * What one callback changed, written in one statement (atomic, one round trip: the caller is waiting):
 * the transcript turns (bot turns with the server's latency from `receivedAt` until now, when the
 * answer is ready to leave), the call's new state, its events, and the answer, stored against the
 * callback's key for retries.
 */
export async function recordAnswer(
  db: Database,
  ctx: Pick<ServiceContext, 'accountId'>,
  at: { call: CallRow; key: string | null; response: string; receivedAt: number; turns: TurnDraft[]; patch?: Updateable<CallsTable>; events?: CallEvent[]; spoke?: string[] },
): Promise<void> {
  const latency = Math.round(performance.now() - at.receivedAt);
  const ctes: RawBuilder<unknown>[] = [];
  if (at.turns.length) {
    // The wait is the caller's once per answer: it goes on the answer's last bot turn.
    const last = at.turns.map((t) => t.role).lastIndexOf('bot');
    const rows = at.turns.map((t, i) => ({ id: newId('ct'), call_id: at.call.id, role: t.role, kind: t.kind, text: t.text, message_id: t.messageId ?? null, latency_ms: i === last ? latency : null, engine_ms: t.engineMs ?? null }));
    ctes.push(sql`new_turns as (${db.insertInto('call_turns').values(rows)})`);
  }
  if (at.spoke?.length) ctes.push(sql`spoken as (${db.updateTable('call_turns').set({ pending: false }).where('id', 'in', at.spoke)})`);
  // A call that ended meanwhile (DiCE, end_call) stays ended.
  if (at.patch) ctes.push(sql`changed as (${db.updateTable('calls').set({ ...at.patch, updated_at: new Date() }).where('id', '=', at.call.id).where('ended_at', 'is', null)})`);
  if (at.events?.length) ctes.push(sql`emitted as (${db.insertInto('outbox_events').values(at.events.map((e) => eventRow(ctx, e.type, e.data)))})`);
  const last = at.key ? db.updateTable('call_events').set({ response: at.response }).where('key', '=', at.key) : sql`select 1`;
  await sql`${ctes.length ? sql`with ${sql.join(ctes)} ` : sql``}${last}`.execute(db);
}

/** What a provider reported about a call outside its answers (a recording's location, a late AMD verdict). */
export async function updateCall(db: Database, callId: string, patch: Pick<Updateable<CallsTable>, 'recording_url' | 'answered_by'>): Promise<void> {
  await db.updateTable('calls').set({ ...patch, updated_at: new Date() }).where('id', '=', callId).execute();
}

/** A placed call is ringing (Twilio says so; Sinch does not). */
export async function markRinging(db: Database, callId: string): Promise<void> {
  await db.updateTable('calls').set({ status: 'ringing', updated_at: new Date() }).where('id', '=', callId).where('status', '=', 'queued').execute();
}

/** Operator words waiting for the caller's next turn, oldest first. */
export function pendingOperatorTurns(q: Q, callId: string) {
  return q.selectFrom('call_turns').select(['id', 'text']).where('call_id', '=', callId).where('pending', '=', true).orderBy('id').execute();
}

/** Talk time of a finished call, counted once (plan minutes read usage_daily). */
export async function countCallSeconds(trx: Transaction<DB>, call: Pick<CallRow, 'account_id' | 'bot_id'>, seconds: number): Promise<void> {
  if (seconds <= 0) return;
  await sql`
    insert into usage_daily (account_id, day, bot_id, call_seconds)
    values (${call.account_id}, (now() at time zone 'utc')::date, ${call.bot_id}, ${seconds})
    on conflict (account_id, day, bot_id) do update set call_seconds = usage_daily.call_seconds + excluded.call_seconds`.execute(trx);
}

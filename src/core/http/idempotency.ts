import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import type { AppDeps } from '../context.js';
import { sha256Hex } from '../crypto.js';
import { conflict, invalid, unprocessable } from '../errors.js';

const TTL_HOURS = 24;
/** How long a request may hold its key before a retry may assume the first attempt died. */
const LOCK_SECONDS = 120;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { scope: string; key: string } | null;
  }
}

/** The request holds the key; its service can record the response in its own transaction (inTransaction). */
function claim(request: FastifyRequest, scope: string, key: string): void {
  request.idempotency = { scope, key };
  if (request.ctx) request.ctx.idempotency = request.idempotency;
}

function requestHash(request: FastifyRequest): string {
  return sha256Hex(JSON.stringify([request.method, request.routeOptions.url, request.body ?? null, request.query ?? null]));
}

/**
 * `Idempotency-Key` on creating and sending POSTs: the first request claims the key (a row, so every
 * process sees it); a retry within 24 h gets the stored response and nothing runs twice. A key reused
 * with other parameters is a 422; a retry while the first is still running is a 409. A 5xx releases
 * the key so the client can try again. Work a failed or dead attempt already committed is not done
 * twice: a conversation turn stores its user message under a key derived from this one
 * (engine/turn-dedupe.ts), which the retry finds and answers.
 */
export function registerIdempotency(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    if (typeof header !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(header)) {
      throw invalid('Idempotency-Key', 'The Idempotency-Key header must be 1-255 visible ASCII characters.');
    }
    const scope = request.ctx?.accountId ?? `ip:${request.ip}`;
    const hash = requestHash(request);
    const db = deps.db;

    const claimed = await db
      .insertInto('idempotency_keys')
      .values({
        scope,
        key: header,
        method: request.method,
        path: request.routeOptions.url ?? request.url,
        request_hash: hash,
        locked_until: sql<Date>`now() + make_interval(secs => ${LOCK_SECONDS})`,
      })
      .onConflict((oc) =>
        // An expired record is taken over as if it were new.
        oc.columns(['scope', 'key']).doUpdateSet({
          method: request.method,
          path: request.routeOptions.url ?? request.url,
          request_hash: hash,
          status_code: null,
          response_body: null,
          created_at: sql<Date>`now()`,
          locked_until: sql<Date>`now() + make_interval(secs => ${LOCK_SECONDS})`,
        }).where(sql<boolean>`idempotency_keys.created_at < now() - make_interval(hours => ${TTL_HOURS})`),
      )
      .returning('key')
      .executeTakeFirst();
    if (claimed) return claim(request, scope, header);

    const existing = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', header)
      .executeTakeFirstOrThrow();
    if (existing.request_hash !== hash) {
      throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key.', 'Idempotency-Key');
    }
    if (existing.status_code === null) {
      // The first attempt's process died before finishing: one retry (the conditional update decides
      // which, across processes) takes the claim over and runs the request.
      const takenOver = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: sql<Date>`now() + make_interval(secs => ${LOCK_SECONDS})` })
        .where('scope', '=', scope)
        .where('key', '=', header)
        .where('status_code', 'is', null)
        .where('locked_until', '<', sql<Date>`now()`)
        .returning('key')
        .executeTakeFirst();
      if (!takenOver) throw conflict('idempotency_in_progress', 'A request with this Idempotency-Key is still in progress; retry shortly.');
      return claim(request, scope, header);
    }
    reply.header('idempotent-replayed', 'true');
    return reply.code(existing.status_code).type('application/json').send(existing.response_body);
  });

  // Records the response for replays. A service that ran inTransaction has already recorded its result
  // with its change (core/transaction.ts); this also covers error answers and routes without one.
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    await settle(deps.db, claim, reply.statusCode, typeof payload === 'string' ? payload : JSON.stringify(payload));
    return payload;
  });
}

/** A 5xx frees the key so the client can retry; any other answer is stored for replays. */
async function settle(db: Database, claim: { scope: string; key: string }, status: number, body: string): Promise<void> {
  if (status >= 500) {
    await db.deleteFrom('idempotency_keys').where('scope', '=', claim.scope).where('key', '=', claim.key).execute();
  } else {
    await saveIdempotentResponse(db, claim, status, body);
  }
}

/** Settles the key of a response sent outside Fastify's reply cycle (a stream). */
export async function settleIdempotencyKey(deps: Pick<AppDeps, 'db'>, request: FastifyRequest, status: number, body: unknown): Promise<void> {
  const claim = request.idempotency;
  if (!claim) return;
  request.idempotency = null;
  await settle(deps.db, claim, status, JSON.stringify(body));
}

/** Stores the response a claimed key replays (also inside a service's transaction, see core/transaction.ts). */
export async function saveIdempotentResponse(q: Database | Transaction<DB>, claim: { scope: string; key: string }, status: number, body: string): Promise<void> {
  await q
    .updateTable('idempotency_keys')
    .set({ status_code: status, response_body: body, locked_until: null })
    .where('scope', '=', claim.scope)
    .where('key', '=', claim.key)
    .execute();
}

/** Drops records older than the replay window; run by a scheduled job. */
export async function pruneIdempotencyKeys(deps: Pick<AppDeps, 'db'>): Promise<void> {
  await deps.db.deleteFrom('idempotency_keys').where(sql<boolean>`created_at < now() - make_interval(hours => ${TTL_HOURS})`).execute();
}

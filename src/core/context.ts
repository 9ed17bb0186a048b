import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { JobQueue } from '../jobs/queue.js';
import type { LlmPort } from '../providers/llm/port.js';
import type { ModerationPort } from '../providers/moderation/port.js';
import type { EmbeddingsPort } from '../providers/embeddings/port.js';
import type { RetrievalMode } from '../features/knowledge/retrieval-mode.js';

/** What the process provides to every service call: built once at start. */
export interface AppDeps {
  db: Database;
  config: Config;
  jobs: JobQueue;
  log: Logger;
  /** The language model; null runs the engine in its builtin mode (curated answers only). */
  llm: LlmPort | null;
  /** The optional moderation provider. */
  moderation: ModerationPort | null;
  /** Knowledge search: hybrid (full-text and vectors) or full-text only, and why; decided at start. */
  retrieval: RetrievalMode;
  /** Set exactly when `retrieval` is hybrid: EMBEDDING_MODEL is set and pgvector is usable. */
  embeddings: EmbeddingsPort | null;
}

export type ActorType = 'key' | 'session' | 'anonymous' | 'system';

export interface Actor {
  type: ActorType;
  /** The key id for keys and sessions; null for anonymous and system actors. */
  id: string | null;
}

/** The caller's key after authentication. */
export interface AuthKey {
  id: string;
  accountId: string;
  kind: 'api' | 'session';
  scope: 'admin' | 'conversation';
  botIds: string[] | null;
  allowedOrigins: string[] | null;
}

/** Everything a service needs to know about one call: who, for which account, from where. */
export interface ServiceContext extends AppDeps {
  accountId: string;
  actor: Actor;
  key: AuthKey | null;
  requestId: string | null;
  ip: string | null;
  /** Set when the request carries an Idempotency-Key it has claimed (see core/http/idempotency.ts). */
  idempotency?: { scope: string; key: string } | null;
}

/** Context for work the server does on its own (jobs, schedules). */
export function systemContext(deps: AppDeps, accountId: string): ServiceContext {
  return { ...deps, log: deps.log.child({ accountId }), accountId, actor: { type: 'system', id: null }, key: null, requestId: null, ip: null };
}

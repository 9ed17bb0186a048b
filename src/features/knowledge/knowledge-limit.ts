import { systemContext, type AppDeps } from '../../core/context.js';
import { limitCheck } from '../billing/limits.js';
import type { Q } from '../billing/plan-state.js';
import { SourceError } from './source-error.js';

/**
 * Ingestion learns a source's size only once it has fetched it (a file URL, a crawled page, a feed):
 * knowledge that would take the account past its plan's knowledge_mb fails the source, saying so.
 * A source that does not grow is never refused.
 */
export async function assertKnowledgeRoom(q: Q, deps: AppDeps, accountId: string, growth: number): Promise<void> {
  if (growth <= 0) return;
  const refused = await limitCheck(q, systemContext(deps, accountId), 'knowledge_mb', growth);
  if (refused) throw new SourceError(refused.message);
}

import type { ServiceContext } from '../../core/context.js';
import { invalid } from '../../core/errors.js';
import { decodeCursor, toPage } from '../../core/pagination.js';
import { idWindow } from './range.js';
import type { ActivityLogsQuery } from './schemas.js';

/** An ILIKE-free prefix pattern: the caller's %, _ and \ taken literally. */
const prefixPattern = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * get_activity_logs: the account's audit log, newest first, paged on the id (audit_logs_account).
 * A time filter also bounds the ids, so the index range holds only that time.
 */
export async function getActivityLogs({ ctx, input }: { ctx: ServiceContext; input: ActivityLogsQuery }) {
  const since = input.since ? new Date(input.since) : null;
  const until = input.until ? new Date(input.until) : null;
  if (since && until && since >= until) throw invalid('since', '`since` must be before `until`.');
  const before = decodeCursor(input.cursor);
  let q = ctx.db.selectFrom('audit_logs').selectAll().where('account_id', '=', ctx.accountId).orderBy('id', 'desc').limit(input.limit + 1);
  if (before) q = q.where('id', '<', before);
  if (since) q = q.where('created_at', '>=', since).where('id', '>=', idWindow('log', since, since).lo);
  if (until) q = q.where('created_at', '<', until).where('id', '<', idWindow('log', until, until).hi);
  if (input.actor === 'system' || input.actor === 'anonymous') q = q.where('actor_type', '=', input.actor);
  else if (input.actor) q = q.where('actor_id', '=', input.actor);
  if (input.action) q = q.where('action', 'like', prefixPattern(input.action));
  if (input.object_type) q = q.where('object_type', '=', input.object_type);
  if (input.object_id) q = q.where('object_id', '=', input.object_id);
  const page = toPage(await q.execute(), input.limit, (r) => r.id);
  return {
    data: page.data.map((r) => ({
      log_id: r.id,
      action: r.action,
      actor: { type: r.actor_type as 'key' | 'session' | 'anonymous' | 'system', id: r.actor_id },
      object_type: r.object_type,
      object_id: r.object_id,
      details: r.details,
      request_id: r.request_id,
      ip: r.ip,
      created_at: r.created_at.toISOString(),
    })),
    next_cursor: page.next_cursor,
  };
}

import type { EndUserRow } from '../../db/schema.js';

export function toUser(row: EndUserRow) {
  return {
    user_id: row.user_id,
    bot_id: row.bot_id,
    name: row.name,
    phone: row.phone,
    email: row.email,
    tags: row.tags,
    attributes: row.attributes as Record<string, string | number | boolean>,
    age_verified: row.age_verified,
    age_verified_at: row.age_verified_at?.toISOString() ?? null,
    opted_out: row.opted_out,
    blocked: row.blocked,
    first_seen_at: row.first_seen_at?.toISOString() ?? null,
    last_seen_at: row.last_seen_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

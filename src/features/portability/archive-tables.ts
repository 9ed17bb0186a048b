import { sql, type RawBuilder } from 'kysely';

/**
 * What an account archive holds, table by table, in the order an import inserts them (parents before
 * the rows that reference them). Every table of src/db/migrations with an account_id, directly or
 * through a bot, is either listed here or in LEFT_OUT with the reason.
 *
 * Rows carry no account_id: the importing server sets its new account's. Soft-deleted bots (waiting for
 * their erase job) are left out with everything of theirs.
 */
export interface TableSpec {
  name: string;
  /** Exported columns, by name; secrets and server-local state are never among them. */
  columns: readonly string[];
  /** Unique sort key of the keyset pagination, among `columns`; empty for a one-row table. */
  key: readonly string[];
  /** Columns holding our ids: remapped to fresh ones on import. */
  ids?: readonly string[];
  /** Free text that may hold our ids (send keys, audit object ids): those inside are remapped. */
  embedded?: readonly string[];
  /** jsonb columns: ids inside are remapped. */
  json?: readonly string[];
  /** date columns, exported as YYYY-MM-DD (the drivers would read them as local midnights). */
  dates?: readonly string[];
  /** bytea columns, exported as base64. */
  bytea?: readonly string[];
  /** The table has account_id: the import sets it. */
  account: boolean;
  /** FROM and WHERE of the account's rows (table alias t); `acct` is the exported account's id. */
  scope: (acct: string) => RawBuilder<unknown>;
  /** Columns exported as an expression instead of as stored. */
  select?: (acct: string) => Record<string, RawBuilder<unknown>>;
  /** Rows a page: small for tables of large rows. */
  pageSize?: number;
}

const liveBots = (acct: string) => sql`(select id from bots where account_id = ${acct} and deleted_at is null)`;
const byAccount = (table: string) => (acct: string) => sql`${sql.table(table)} t where t.account_id = ${acct}`;
const byBot = (table: string) => (acct: string) => sql`${sql.table(table)} t where t.account_id = ${acct} and t.bot_id in ${liveBots(acct)}`;

export const TABLES: readonly TableSpec[] = [
  // email_normalized is derived; password_hash is secret material: the new owner gets an API key instead.
  { name: 'accounts', columns: ['id', 'kind', 'email', 'name', 'created_at'], key: ['id'], ids: ['id'], account: false, scope: (acct) => sql`accounts t where t.id = ${acct}` },
  {
    name: 'bots',
    // claim_token_hash is a secret (a trial bot's claim); created_ip is only a trial's abuse limit.
    columns: ['id', 'name', 'handle', 'prompt', 'prompt_version', 'opening_message', 'ui', 'sliders', 'policy', 'voice', 'model', 'calendar_link', 'transfer_number', 'response_enabled', 'response_resume_at', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id'],
    json: ['ui', 'sliders', 'policy', 'voice'],
    account: true,
    scope: (acct) => sql`bots t where t.account_id = ${acct} and t.deleted_at is null`,
  },
  {
    name: 'prompt_versions',
    columns: ['id', 'bot_id', 'version', 'prompt', 'source', 'restored_from', 'actor', 'created_at'],
    key: ['id'],
    ids: ['id', 'bot_id'],
    embedded: ['actor'],
    account: false,
    scope: (acct) => sql`prompt_versions t where t.bot_id in ${liveBots(acct)}`,
  },
  {
    name: 'end_users',
    columns: ['id', 'bot_id', 'user_id', 'phone', 'email', 'name', 'tags', 'attributes', 'age_verified', 'age_verified_at', 'age_verified_channel', 'opted_out', 'opted_out_at', 'blocked', 'first_seen_at', 'last_seen_at', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id'],
    json: ['attributes'],
    account: true,
    scope: byBot('end_users'),
  },
  // Kept: an opted-out number must stay opted out wherever the account goes.
  { name: 'suppressions', columns: ['phone', 'reason', 'created_at'], key: ['phone'], account: true, scope: byAccount('suppressions') },
  {
    name: 'conversations',
    columns: ['id', 'bot_id', 'user_id', 'channel', 'bot_enabled', 'resume_at', 'summary', 'summary_through', 'last_message_at', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id', 'summary_through'],
    account: true,
    scope: byBot('conversations'),
  },
  {
    name: 'messages',
    columns: ['id', 'conversation_id', 'role', 'content', 'status', 'source', 'model', 'tokens_in', 'tokens_out', 'latency_ms', 'sources', 'import_key', 'tokens', 'created_at'],
    // By conversation, the way the (conversation_id, id) index reads them.
    key: ['conversation_id', 'id'],
    ids: ['id', 'conversation_id'],
    json: ['sources'],
    account: true,
    scope: (acct) => sql`messages t join conversations c on c.id = t.conversation_id where c.account_id = ${acct} and c.bot_id in ${liveBots(acct)}`,
  },
  {
    name: 'retrained_responses',
    columns: ['id', 'bot_id', 'question', 'question_normalized', 'response', 'source_message_id', 'hits', 'last_hit_at', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id', 'source_message_id'],
    account: true,
    scope: byBot('retrained_responses'),
  },
  { name: 'feedback', columns: ['id', 'bot_id', 'message_id', 'rating', 'comment', 'created_at', 'updated_at'], key: ['id'], ids: ['id', 'bot_id', 'message_id'], account: true, scope: byBot('feedback') },
  {
    name: 'knowledge_sources',
    columns: ['id', 'bot_id', 'kind', 'parent_id', 'status', 'error', 'filename', 'url', 'title', 'mime', 'bytes', 'content_hash', 'chunks', 'rows', 'options', 'refresh_minutes', 'next_refresh_at', 'fetched_at', 'created_at', 'updated_at'],
    // Ids sort by creation: a crawl comes before the pages it found (parent_id references it).
    key: ['id'],
    ids: ['id', 'bot_id', 'parent_id'],
    json: ['options'],
    account: true,
    scope: byBot('knowledge_sources'),
  },
  {
    // The uploaded bytes, so a source can be re-indexed (refresh_source) after the move.
    name: 'knowledge_files',
    columns: ['source_id', 'content'],
    key: ['source_id'],
    ids: ['source_id'],
    bytea: ['content'],
    account: false,
    scope: (acct) => sql`knowledge_files t join knowledge_sources s on s.id = t.source_id where s.account_id = ${acct} and s.bot_id in ${liveBots(acct)}`,
    pageSize: 4,
  },
  {
    // Passages are copied as they are, not re-chunked: the same text gives the same full-text search
    // results, and crawled pages and feeds need no network to come back. Their vectors do not travel
    // (see LEFT_OUT), and the bot's dictionary of terms is rebuilt from them by the import.
    name: 'knowledge_chunks',
    columns: ['id', 'source_id', 'bot_id', 'position', 'heading', 'content', 'tokens', 'row_hash'],
    key: ['source_id', 'position', 'id'],
    ids: ['id', 'source_id', 'bot_id'],
    account: false,
    scope: (acct) => sql`knowledge_chunks t where t.bot_id in ${liveBots(acct)}`,
    pageSize: 200,
  },
  {
    // The account's records of its numbers. twilio_auth_token_enc (an imported number's Twilio token,
    // sealed with this server's SECRET_KEY) is never exported; see import-fixups.ts for what comes back.
    name: 'phone_numbers',
    columns: ['id', 'phone_number', 'provider', 'source', 'bot_id', 'sms', 'voice', 'provider_sid', 'twilio_account_sid', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id'],
    account: true,
    scope: byAccount('phone_numbers'),
    select: (acct) => ({ bot_id: sql`case when t.bot_id in ${liveBots(acct)} then t.bot_id end` }),
  },
  {
    // jobs_schema, dispatcher_id and heartbeat_at name this server's job runs: the import sets its own.
    name: 'campaigns',
    columns: ['id', 'bot_id', 'channel', 'message', 'audience', 'status', 'schedule_at', 'quiet_hours', 'rate_per_second', 'created_at', 'started_at', 'completed_at', 'canceled_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id'],
    json: ['audience'],
    account: true,
    scope: byBot('campaigns'),
  },
  {
    name: 'sms_messages',
    columns: ['id', 'bot_id', 'end_user_id', 'message_id', 'campaign_id', 'direction', 'from_number', 'to_number', 'body', 'media_urls', 'provider', 'provider_message_id', 'status', 'error_code', 'error_message', 'segments', 'encoding', 'send_key', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id', 'end_user_id', 'message_id', 'campaign_id'],
    embedded: ['send_key'],
    json: ['media_urls'],
    account: true,
    scope: byBot('sms_messages'),
  },
  {
    name: 'campaign_recipients',
    columns: ['campaign_id', 'end_user_id', 'state', 'reason', 'not_before', 'sms_message_id', 'updated_at'],
    key: ['campaign_id', 'end_user_id'],
    ids: ['campaign_id', 'end_user_id', 'sms_message_id'],
    account: false,
    scope: (acct) => sql`campaign_recipients t join campaigns c on c.id = t.campaign_id where c.account_id = ${acct} and c.bot_id in ${liveBots(acct)}`,
  },
  {
    name: 'calls',
    columns: ['id', 'bot_id', 'end_user_id', 'conversation_id', 'provider', 'provider_call_id', 'direction', 'from_number', 'to_number', 'status', 'result', 'reason', 'purpose', 'amd', 'answered_by', 'locale', 'manage_origin', 'silences', 'offer', 'transferred_to', 'transferred_at', 'recording_url', 'duration_seconds', 'cost', 'currency', 'error_message', 'answered_at', 'ended_at', 'created_at', 'updated_at'],
    key: ['id'],
    ids: ['id', 'bot_id', 'end_user_id', 'conversation_id'],
    account: true,
    scope: byBot('calls'),
  },
  {
    name: 'call_turns',
    columns: ['id', 'call_id', 'role', 'kind', 'text', 'message_id', 'latency_ms', 'engine_ms', 'pending', 'created_at'],
    key: ['call_id', 'id'],
    ids: ['id', 'call_id', 'message_id'],
    account: false,
    scope: (acct) => sql`call_turns t join calls c on c.id = t.call_id where c.account_id = ${acct} and c.bot_id in ${liveBots(acct)}`,
  },
  {
    // secret_enc (the signing secret, sealed with SECRET_KEY) is never exported: the import makes new ones.
    name: 'webhooks',
    columns: ['id', 'url', 'events', 'enabled', 'failing_since', 'disabled_at', 'disabled_reason', 'created_at'],
    key: ['id'],
    ids: ['id'],
    account: true,
    scope: byAccount('webhooks'),
  },
  { name: 'notification_settings', columns: ['emails', 'events', 'digest', 'updated_at'], key: [], account: true, scope: byAccount('notification_settings') },
  {
    // Kept with the rest of the history: the replies and tokens used, per day and bot (a deleted bot's too).
    name: 'usage_daily',
    columns: ['day', 'bot_id', 'replies', 'model_calls', 'tokens_in', 'tokens_out', 'call_seconds'],
    key: ['day', 'bot_id'],
    ids: ['bot_id'],
    dates: ['day'],
    account: true,
    scope: byAccount('usage_daily'),
  },
  // The 80 %/100 % emails already sent this period: with the usage they describe, so they are not sent twice.
  { name: 'usage_alerts', columns: ['period_start', 'limit_name', 'threshold', 'created_at'], key: ['period_start', 'limit_name', 'threshold'], dates: ['period_start'], account: true, scope: byAccount('usage_alerts') },
  // Rollups hold counts of messages erased since: they cannot be rebuilt from the messages, so they travel.
  { name: 'analytics_rollup_days', columns: ['day', 'rolled_at', 'messages'], key: ['day'], dates: ['day'], account: true, scope: byAccount('analytics_rollup_days') },
  {
    name: 'analytics_daily',
    columns: ['day', 'bot_id', 'messages_in', 'messages_out', 'messages_api', 'messages_sms', 'messages_voice', 'retrained_hits', 'latency_buckets', 'latency_counts'],
    key: ['day', 'bot_id'],
    ids: ['bot_id'],
    dates: ['day'],
    account: true,
    scope: byBot('analytics_daily'),
  },
  { name: 'analytics_active_users', columns: ['day', 'bot_id', 'user_id'], key: ['day', 'bot_id', 'user_id'], ids: ['bot_id'], dates: ['day'], account: true, scope: byBot('analytics_active_users') },
  {
    // Past events (analytics counts takeovers from them). Each comes in as dispatched, so the new
    // account's webhooks and emails are not sent the old account's history again.
    name: 'outbox_events',
    columns: ['id', 'type', 'payload', 'created_at', 'dispatched_at'],
    key: ['id'],
    ids: ['id'],
    json: ['payload'],
    account: true,
    scope: byAccount('outbox_events'),
    select: () => ({ dispatched_at: sql`coalesce(t.dispatched_at, now())` }),
  },
  {
    name: 'audit_logs',
    columns: ['id', 'actor_type', 'actor_id', 'action', 'object_type', 'object_id', 'request_id', 'ip', 'details', 'created_at'],
    key: ['id'],
    ids: ['id'],
    embedded: ['actor_id', 'object_id'],
    json: ['details'],
    account: true,
    scope: byAccount('audit_logs'),
  },
];

/**
 * Tables with account data that an archive leaves out, and why. A test checks this list and TABLES
 * together name every table the migrations create.
 */
export const LEFT_OUT: Record<string, string> = {
  api_keys: 'key hashes and sessions are secret material; the import issues one new admin key',
  idempotency_keys: 'replay records of requests to this server (24 h), keyed by the old key ids',
  rate_limit_counters: 'per-minute request counters of this server',
  knowledge_terms: 'derived from the passages; the import rebuilds each bot\'s dictionary from them',
  call_events: 'provider callback de-duplication of calls that are over',
  webhook_deliveries: 'the delivery log to this server\'s endpoints; pending ones would be sent a second time',
  webhook_attempts: 'attempts of the deliveries above',
  notifications: 'the email queue; pending ones would be sent a second time',
  subscriptions: 'Stripe customer and subscription ids are handles on the billing of this server\'s Stripe account; the new account starts on the default plan',
  stripe_events: 'server-wide de-duplication of Stripe events',
  schema_migrations: 'server state, not account data',
  schema_migrations_lock: 'server state, not account data',
};

/**
 * knowledge_embeddings (made at start when pgvector exists, not by a migration) is left out too: the
 * vectors belong to the exporting server's EMBEDDING_MODEL; refresh_source embeds a source again.
 */
export const TABLE_NAMES = TABLES.map((t) => t.name);
export const tableSpec = (name: string) => TABLES.find((t) => t.name === name);

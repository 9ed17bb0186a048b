import type { ColumnType, Generated, Selectable } from 'kysely';
import type { AnalyticsTables } from './tables/analytics.js';
import type { BillingTables } from './tables/billing.js';
import type { NotificationTables } from './tables/notifications.js';
import type { WebhookTables } from './tables/webhooks.js';

/** Table types for Kysely, kept by hand next to the migrations they describe. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface AccountsTable {
  id: string;
  kind: Generated<'standard' | 'trial'>;
  email: string | null;
  email_normalized: string | null;
  password_hash: string | null;
  name: string | null;
  expires_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  kind: 'api' | 'session';
  scope: 'admin' | 'conversation';
  prefix: string;
  key_hash: string;
  bot_ids: string[] | null;
  allowed_origins: string[] | null;
  created_by: string | null;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface BotsTable {
  id: string;
  account_id: string;
  name: string;
  handle: string | null;
  prompt: Generated<string>;
  prompt_version: Generated<number>;
  opening_message: Generated<string>;
  ui: Json<Record<string, unknown>>;
  sliders: Json<Record<string, number>>;
  /** Age gate, blocked topics and AI disclosure (see features/prompts/policy.ts). */
  policy: ColumnType<Record<string, unknown>, string | undefined, string>;
  model: string | null;
  calendar_link: string | null;
  transfer_number: string | null;
  /** Voice settings (see features/voice/voice-settings.ts); unset keys take their defaults. */
  voice: ColumnType<Record<string, unknown>, string | undefined, string>;
  response_enabled: Generated<boolean>;
  response_resume_at: NullableTimestamp;
  claim_token_hash: string | null;
  created_ip: string | null;
  deleted_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface PromptVersionsTable {
  id: string;
  bot_id: string;
  version: number;
  prompt: string;
  source: 'create' | 'edit' | 'restore';
  restored_from: number | null;
  actor: string | null;
  created_at: Generated<Date>;
}

export interface ConversationsTable {
  id: string;
  account_id: string;
  bot_id: string;
  user_id: string;
  channel: Generated<string>;
  bot_enabled: boolean | null;
  resume_at: NullableTimestamp;
  summary: ColumnType<string | null, string | null | undefined, string | null>;
  /** The newest message the summary covers. */
  summary_through: ColumnType<string | null, string | null | undefined, string | null>;
  last_message_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  account_id: string;
  conversation_id: string;
  role: 'user' | 'assistant' | 'operator' | 'system';
  content: string;
  /** pending: waiting for its reply; unanswered: the model failed; flagged: stopped by the hard limits. */
  status: Generated<'ok' | 'pending' | 'unanswered' | 'flagged'>;
  /** Where a bot reply came from: model, retrained, builtin, safety, opening. */
  source: ColumnType<string | null, string | null | undefined, string | null>;
  model: ColumnType<string | null, string | null | undefined, string | null>;
  tokens_in: ColumnType<number | null, number | null | undefined, number | null>;
  tokens_out: ColumnType<number | null, number | null | undefined, number | null>;
  latency_ms: ColumnType<number | null, number | null | undefined, number | null>;
  sources: ColumnType<unknown[] | null, string | null | undefined, string | null>;
  /** Set on imported messages: the same message imported again is skipped. */
  import_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set on a user message stored for a retriable request (Idempotency-Key, inbound SMS), `:reply` on its reply: a retry finds them. */
  dedupe_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Tokens of the content (o200k), counted when stored; null on messages older than the count. */
  tokens: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: ColumnType<Date, Date | undefined, Date>;
}

export interface RetrainedResponsesTable {
  id: string;
  account_id: string;
  bot_id: string;
  question: string;
  question_normalized: string;
  response: string;
  source_message_id: string | null;
  hits: Generated<number>;
  last_hit_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface EndUsersTable {
  id: string;
  account_id: string;
  bot_id: string;
  user_id: string;
  phone: string | null;
  email: string | null;
  name: string | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  attributes: Json<Record<string, unknown>>;
  age_verified: Generated<boolean>;
  age_verified_at: NullableTimestamp;
  age_verified_channel: string | null;
  opted_out: Generated<boolean>;
  opted_out_at: NullableTimestamp;
  blocked: Generated<boolean>;
  first_seen_at: NullableTimestamp;
  last_seen_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface SuppressionsTable {
  account_id: string;
  phone: string;
  reason: string;
  created_at: Generated<Date>;
}

export interface OutboxEventsTable {
  id: string;
  account_id: string;
  type: string;
  payload: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  dispatched_at: NullableTimestamp;
}

export interface FeedbackTable {
  id: string;
  account_id: string;
  bot_id: string;
  message_id: string;
  rating: 'up' | 'down';
  comment: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AuditLogsTable {
  id: string;
  account_id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: Json<Record<string, unknown>> | null;
  created_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  locked_until: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface RateLimitCountersTable {
  bucket: string;
  window_start: Timestamp;
  count: number;
}

export interface UsageDailyTable {
  account_id: string;
  day: string;
  bot_id: string;
  replies: Generated<number>;
  model_calls: Generated<number>;
  tokens_in: ColumnType<string, number | undefined, number>;
  tokens_out: ColumnType<string, number | undefined, number>;
  call_seconds: ColumnType<string, number | undefined, number>;
}

export type KnowledgeKind = 'file' | 'crawl' | 'page' | 'feed';
export type SourceStatus = 'queued' | 'processing' | 'ready' | 'failed';

export interface KnowledgeSourcesTable {
  id: string;
  account_id: string;
  bot_id: string;
  kind: KnowledgeKind;
  parent_id: string | null;
  status: Generated<SourceStatus>;
  error: string | null;
  filename: string | null;
  url: string | null;
  title: string | null;
  mime: string | null;
  bytes: ColumnType<string, number | undefined, number>;
  content_hash: string | null;
  chunks: Generated<number>;
  rows: number | null;
  options: ColumnType<Record<string, unknown>, string | undefined, string>;
  refresh_minutes: number | null;
  next_refresh_at: NullableTimestamp;
  fetched_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface KnowledgeFilesTable {
  source_id: string;
  content: Buffer;
}

export interface KnowledgeChunksTable {
  id: string;
  source_id: string;
  bot_id: string;
  position: number;
  heading: string | null;
  content: string;
  tokens: number;
  row_hash: string | null;
}

export interface PhoneNumbersTable {
  id: string;
  account_id: string | null;
  phone_number: string;
  provider: 'twilio' | 'sinch' | 'sandbox';
  source: 'purchased' | 'imported' | 'pool' | 'sinch' | 'sandbox';
  bot_id: string | null;
  sms: Generated<boolean>;
  voice: Generated<boolean>;
  provider_sid: string | null;
  twilio_account_sid: string | null;
  twilio_auth_token_enc: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type SmsDirection = 'inbound' | 'outbound';

export interface SmsMessagesTable {
  id: string;
  account_id: string;
  bot_id: string;
  end_user_id: string | null;
  message_id: string | null;
  campaign_id: string | null;
  direction: SmsDirection;
  from_number: string;
  to_number: string;
  body: string;
  media_urls: ColumnType<string[], string | undefined, string>;
  provider: string;
  provider_message_id: string | null;
  status: string;
  error_code: string | null;
  error_message: string | null;
  segments: number;
  encoding: 'GSM-7' | 'UCS-2';
  send_key: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface KnowledgeTermsTable {
  bot_id: string;
  term: string;
}

export type CampaignStatus = 'scheduled' | 'queued' | 'sending' | 'completed' | 'canceled';
export type RecipientState = 'pending' | 'queued' | 'skipped' | 'failed' | 'canceled';

export interface CampaignsTable {
  id: string;
  account_id: string;
  bot_id: string;
  channel: Generated<'sms'>;
  message: string;
  audience: Json<Record<string, unknown>>;
  status: CampaignStatus;
  schedule_at: NullableTimestamp;
  quiet_hours: Generated<boolean>;
  rate_per_second: number;
  jobs_schema: string;
  dispatcher_id: string | null;
  heartbeat_at: NullableTimestamp;
  created_at: Generated<Date>;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  canceled_at: NullableTimestamp;
  updated_at: Generated<Date>;
}

export interface CampaignRecipientsTable {
  campaign_id: string;
  end_user_id: string;
  state: Generated<RecipientState>;
  reason: string | null;
  not_before: NullableTimestamp;
  sms_message_id: string | null;
  updated_at: Generated<Date>;
}

export type CallStatus = 'queued' | 'ringing' | 'in_progress' | 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled' | 'rejected';

export interface CallsTable {
  id: string;
  account_id: string;
  bot_id: string;
  end_user_id: string | null;
  conversation_id: string | null;
  provider: 'sinch' | 'twilio';
  provider_call_id: string | null;
  direction: 'inbound' | 'outbound';
  from_number: string;
  to_number: string;
  status: CallStatus;
  result: string | null;
  reason: string | null;
  purpose: string | null;
  amd: Generated<boolean>;
  answered_by: string | null;
  locale: string;
  manage_origin: string | null;
  silences: Generated<number>;
  offer: string | null;
  transferred_to: string | null;
  transferred_at: NullableTimestamp;
  recording_url: string | null;
  duration_seconds: number | null;
  cost: number | null;
  currency: string | null;
  error_message: string | null;
  answered_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CallTurnsTable {
  id: string;
  call_id: string;
  role: 'caller' | 'bot' | 'operator';
  kind: string;
  text: string;
  message_id: string | null;
  latency_ms: number | null;
  engine_ms: number | null;
  pending: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface CallEventsTable {
  key: string;
  call_id: string;
  response: string | null;
  created_at: Generated<Date>;
}

export interface DB extends WebhookTables, NotificationTables, BillingTables, AnalyticsTables {
  calls: CallsTable;
  call_turns: CallTurnsTable;
  call_events: CallEventsTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  bots: BotsTable;
  prompt_versions: PromptVersionsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  retrained_responses: RetrainedResponsesTable;
  end_users: EndUsersTable;
  suppressions: SuppressionsTable;
  outbox_events: OutboxEventsTable;
  feedback: FeedbackTable;
  audit_logs: AuditLogsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limit_counters: RateLimitCountersTable;
  usage_daily: UsageDailyTable;
  knowledge_sources: KnowledgeSourcesTable;
  knowledge_files: KnowledgeFilesTable;
  knowledge_chunks: KnowledgeChunksTable;
  knowledge_terms: KnowledgeTermsTable;
  phone_numbers: PhoneNumbersTable;
  sms_messages: SmsMessagesTable;
}

export type BotRow = Selectable<BotsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type EndUserRow = Selectable<EndUsersTable>;
export type CallRow = Selectable<CallsTable>;

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'on', 'yes'].includes(v));

const optionalUrl = z.url({ protocol: /^https?$/ }).optional();
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Sinch Voice regions (telephony.md §1.6); "global" lets Sinch pick. */
export const SINCH_REGIONS = ['global', 'use1', 'euc1', 'sae1', 'apse1', 'apse2'] as const;

/** Every environment variable the server reads, parsed once at start. */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: positiveInt(10),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: bool(false),

  LLM_PROVIDER: z.enum(['openai-compatible', 'anthropic', 'builtin']).optional(),
  LLM_BASE_URL: optionalUrl,
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).optional(),
  LLM_TIMEOUT_MS: positiveInt(30_000),
  /** Turns on hybrid knowledge retrieval (full-text fused with vector search) where pgvector exists. */
  EMBEDDING_MODEL: z.string().min(1).optional(),
  /**
   * An OpenAI-compatible /v1/embeddings server other than the LLM's. Unset: LLM_BASE_URL. Its key is
   * EMBEDDING_API_KEY only, so the LLM's key is never sent to a server it was not meant for.
   */
  EMBEDDING_BASE_URL: optionalUrl,
  /** Unset: LLM_API_KEY when the embeddings server is the LLM's. */
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  /** Time limit of embedding a user's question; past it the reply uses full-text retrieval alone. */
  EMBEDDING_QUERY_TIMEOUT_MS: positiveInt(2_000),
  /** A second model tried once when the first fails (not on timeouts of a stream already under way). */
  LLM_FALLBACK_MODEL: z.string().min(1).optional(),
  /** An OpenAI-compatible /v1/moderations server, consulted on user messages and model replies when set. */
  MODERATION_BASE_URL: optionalUrl,
  MODERATION_API_KEY: z.string().min(1).optional(),
  MODERATION_MODEL: z.string().min(1).default('omni-moderation-latest'),
  /** Comma-separated moderation categories that refuse a message. */
  MODERATION_BLOCK_CATEGORIES: z
    .string()
    .default('sexual/minors,self-harm/intent,self-harm/instructions,hate/threatening,harassment/threatening,illicit/violent')
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),

  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex characters').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_API_BASE_URL: optionalUrl,
  SINCH_APPLICATION_KEY: z.string().min(1).optional(),
  SINCH_APPLICATION_SECRET: z.string().min(1).optional(),
  /** The Sinch Voice region of outbound calls unless a bot's voice settings name one (telephony.md §1.6). */
  SINCH_VOICE_REGION: z.enum(SINCH_REGIONS).default('global'),
  /** How far a Sinch Voice callback's x-timestamp may be from our clock, either way, before it is refused as stale. */
  SINCH_CALLBACK_MAX_AGE_SECONDS: positiveInt(600),
  SINCH_VOICE_BASE_URL: optionalUrl,
  SINCH_SMS_SERVICE_PLAN_ID: z.string().min(1).optional(),
  SINCH_SMS_API_TOKEN: z.string().min(1).optional(),
  SINCH_SMS_REGION: z.string().min(1).optional(),
  SINCH_SMS_BASE_URL: optionalUrl,
  /** Verifies Sinch SMS callbacks (x-sinch-webhook-signature HMAC headers); unset: /webhooks/sinch/sms refuses every call. */
  SINCH_SMS_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE_URL: optionalUrl,
  /** A JSON file of plans (ids, prices, Stripe price ids, limits) replacing the default catalog. */
  PLANS_FILE: z.string().min(1).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  EMAIL_FROM: z.string().min(3).default('sinth <no-reply@localhost>'),

  ALLOW_PRIVATE_URLS: bool(false),
  /** Largest file /upload and /upload_bubble accept, in MB. */
  KNOWLEDGE_MAX_FILE_MB: positiveInt(25),
  /** Hard cap on max_pages of one crawl. */
  CRAWL_MAX_PAGES: positiveInt(500),
  /** Pause between two requests to the same site while crawling (politeness). */
  CRAWL_DELAY_MS: z.coerce.number().int().min(0).default(500),
  /** Time limit of one outbound fetch (file URLs, pages, feeds). */
  FETCH_TIMEOUT_MS: positiveInt(15_000),
  RATE_LIMITS: bool(true),
  /** Requests a minute per API key (a publishable key: per visitor), and per IP on endpoints that take no key. */
  RATE_LIMIT_PER_KEY: positiveInt(600),
  /** Requests a minute through one publishable (conversation) key from all its visitors together. */
  RATE_LIMIT_PER_PUBLISHABLE_KEY: positiveInt(6000),
  RATE_LIMIT_PER_IP: positiveInt(120),
  /** Failed logins per email (and per IP, ×4) in 15 minutes before login is throttled. */
  LOGIN_MAX_FAILURES: positiveInt(5),
  /** Bots created without an account per IP per hour. */
  TRIAL_BOTS_PER_IP_PER_HOUR: positiveInt(5),
  SESSION_TTL_MINUTES: positiveInt(720),
  /** How long a stopping process waits for work under way (requests, replies being made) before it exits. */
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** How long a starting server keeps trying a database it cannot reach (not up yet, restarting) before it gives up; 0 gives up at once. */
  DATABASE_STARTUP_WAIT_MS: z.coerce.number().int().min(0).default(60_000),
  /** How long a job may run before pg-boss presumes its worker dead and hands it to another (pg-boss has no heartbeat). */
  JOB_EXPIRE_SECONDS: z.coerce.number().int().min(30).default(900),
  /** Required as `Authorization: Bearer <token>` on GET /metrics when set; unset, /metrics is open (keep it off the public network). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Sends traces (OTLP over HTTP) to this collector when set, e.g. http://localhost:4318. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_SERVICE_NAME: z.string().min(1).default('sinth'),
  /** The PostgreSQL schema of the job queue: servers sharing a database but not their jobs use different ones. */
  JOBS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('pgboss'),
  /** How long a soft-deleted bot waits before its data is erased by the erase job. */
  BOT_ERASE_DELAY_MINUTES: z.coerce.number().int().min(0).default(0),
  /** Bulk campaign sends per second from one number when send_bulk_messages gives no rate_per_second (1 suits a US long code). */
  CAMPAIGN_RATE_PER_SECOND: z.coerce.number().int().min(1).max(1000).default(1),
  /** A campaign dispatcher silent this long is presumed dead and another worker takes its campaign over. */
  CAMPAIGN_STALE_SECONDS: positiveInt(60),
  /** Time limit of one webhook delivery attempt (connect to last byte). */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /** Deliveries one worker process has in flight at once. */
  WEBHOOK_CONCURRENCY: positiveInt(32),
  /** An endpoint whose deliveries have all failed for this long is disabled (and the account told). */
  WEBHOOK_DISABLE_AFTER_HOURS: positiveInt(72),
  /** Hour (UTC, 0-23) the daily notification digest goes out. */
  DIGEST_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(8),
});

export type Config = z.infer<typeof ConfigSchema> & { SECRET_KEY: string; DATA_DIR: string };

export class ConfigError extends Error {}

/**
 * Parses the environment. A bad value throws a ConfigError naming each bad variable, so the start
 * stops with a message an operator can act on. `SECRET_KEY` is generated into DATA_DIR once when unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.keys(ConfigSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const dataDir = resolve(parsed.data.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  return { ...parsed.data, DATA_DIR: dataDir, SECRET_KEY: parsed.data.SECRET_KEY ?? readOrCreateSecret(dataDir) };
}

function readOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new ConfigError(`SECRET_KEY: ${file} does not hold 64 hex characters`);
    return value;
  }
  const value = randomBytes(32).toString('hex');
  // 'wx' fails if another process created it first; then read theirs so both agree.
  try {
    writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return value;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}

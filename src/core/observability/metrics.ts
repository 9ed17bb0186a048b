import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, served at /metrics. One registry per process: the metrics
 * describe the process (its requests, its jobs, its provider calls), so every server built in it
 * (tests build several) adds to the same series.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sinth_' });

const registers = [registry];
/** Seconds, from a cache hit to a slow model reply. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds from an event to its delivery: retries stretch it to hours. */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600];

export const httpRequestDuration = new Histogram({
  name: 'sinth_http_request_duration_seconds',
  help: 'HTTP requests by route pattern (unmatched for unknown paths), method and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const jobDuration = new Histogram({
  name: 'sinth_job_duration_seconds',
  help: 'Jobs run by this process, by queue and outcome (completed or failed)',
  labelNames: ['queue', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const jobFailures = new Counter({
  name: 'sinth_job_failures_total',
  help: 'Job runs that threw (each is retried until its retry limit)',
  labelNames: ['queue'] as const,
  registers,
});

export const queueDepth = new Gauge({
  name: 'sinth_job_queue_depth',
  help: 'Jobs waiting or running in the whole cluster, by queue and state (read from the database at scrape)',
  labelNames: ['queue', 'state'] as const,
  registers,
});

export const queueOldestAge = new Gauge({
  name: 'sinth_job_queue_oldest_age_seconds',
  help: 'Age of the oldest job that is due and not yet taken, by queue (0 when none waits)',
  labelNames: ['queue'] as const,
  registers,
});

export const providerDuration = new Histogram({
  name: 'sinth_provider_request_duration_seconds',
  help: 'Calls to outside providers (llm, embeddings, moderation, twilio, sinch, stripe, smtp, webhook), by operation and outcome',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const providerErrors = new Counter({
  name: 'sinth_provider_errors_total',
  help: 'Provider calls that failed (errors, timeouts, refusals), by provider and operation',
  labelNames: ['provider', 'operation'] as const,
  registers,
});

export const modelTokens = new Counter({
  name: 'sinth_model_tokens_total',
  help: 'Language model tokens by model and kind (input or output)',
  labelNames: ['model', 'kind'] as const,
  registers,
});

export const webhookDeliveryLag = new Histogram({
  name: 'sinth_webhook_delivery_lag_seconds',
  help: 'Time from an event to its successful delivery to an endpoint (includes retries)',
  buckets: LAG_BUCKETS,
  registers,
});

export const backlog = new Gauge({
  name: 'sinth_backlog',
  help: 'Work rows not yet done in the whole cluster (outbox events, webhook deliveries), read from the database at scrape',
  labelNames: ['kind'] as const,
  registers,
});

export const backlogOldestAge = new Gauge({
  name: 'sinth_backlog_oldest_age_seconds',
  help: 'Age of the oldest due row not yet done, by kind (0 when none)',
  labelNames: ['kind'] as const,
  registers,
});

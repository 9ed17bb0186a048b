import PgBoss from 'pg-boss';
import { CompiledQuery, type Transaction } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.js';
import { jobDuration, jobFailures } from '../core/observability/metrics.js';
import { inSpan } from '../core/observability/tracing.js';
import { tickPeriodSeconds } from './tick-period.js';

export interface JobDefinition<T extends object = object> {
  name: string;
  /** Cron (UTC) for jobs the cluster runs on a schedule; pg-boss makes each tick run once across processes. */
  cron?: string;
  retryLimit?: number;
  /** Jobs of this kind one process runs at once (1 by default). */
  concurrency?: number;
  /**
   * pg-boss's queue policy. `stately`: at most one job waiting and one running per singletonKey, so
   * work asked for again and again (a summary after every turn) queues once, not once per ask.
   */
  policy?: 'standard' | 'stately';
  /**
   * Jobs that may rightly run long (a crawl, an erasure) are presumed dead only after this long,
   * whatever JOB_EXPIRE_SECONDS says: presumed dead, a job runs a second time beside the first.
   */
  minExpireSeconds?: number;
  handle(data: T): Promise<void>;
}

export interface SendOptions {
  /** Enqueue inside this transaction: the job exists exactly when the change that asked for it commits. */
  trx?: Transaction<DB>;
  startAfterSeconds?: number;
  singletonKey?: string;
}

export interface JobQueue {
  send(name: string, data: object, opts?: SendOptions): Promise<string | null>;
}

export type Role = 'api' | 'worker' | 'all';

export interface QueueOptions {
  /** The PostgreSQL schema of pg-boss's tables. */
  schema: string;
  /**
   * How long a job may stay active before pg-boss presumes its worker dead (killed, cut off) and
   * retries it elsewhere: pg-boss has no heartbeat, so this is how a SIGKILLed worker's jobs come back.
   */
  expireSeconds: number;
}

/**
 * pg-boss hands a cron tick to whichever worker takes its internal send-it job, and that job runs
 * again when its worker dies or the database restarts before it completes (seconds later after a
 * failure, JOB_EXPIRE_SECONDS later when its completion was lost): the tick's job would be made
 * twice. Made as a singleton per period-long slot (pg-boss's unique index on name, singleton_on,
 * singleton_key), the database keeps one job per slot, and each slot holds exactly one tick of the
 * schedule (tickPeriodSeconds), so a tick runs once across the cluster however late the repeat.
 */
export const tickOptions = (cron: string) => ({ tz: 'UTC', singletonKey: 'tick', singletonSeconds: tickPeriodSeconds(cron) });

/**
 * pg-boss on the shared pool. Every role can send; only `worker` and `all` run handlers and schedules.
 */
export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started = false;
  /** Set when a start failed: see abandon(). */
  private abandoned = false;
  private readonly expireSeconds: number;

  constructor(
    pool: pg.Pool,
    private readonly role: Role,
    private readonly log: Logger,
    options: QueueOptions = { schema: 'pgboss', expireSeconds: 900 },
  ) {
    const runsJobs = role !== 'api';
    this.expireSeconds = options.expireSeconds;
    this.boss = new PgBoss({
      // pg-boss sends multi-statement SQL without parameters; pool.query uses the simple protocol for those.
      db: { executeSql: (text, values) => (this.abandoned ? Promise.reject(new Error('job queue abandoned')) : pool.query(text, values)) },
      schema: options.schema,
      supervise: runsJobs,
      schedule: runsJobs,
      retryLimit: 5,
      retryBackoff: true,
      expireInSeconds: options.expireSeconds,
      // Expired jobs are found by this sweep: run it often enough that a dead worker's job waits at
      // most about a quarter more than its expiry.
      maintenanceIntervalSeconds: Math.max(1, Math.min(120, Math.floor(options.expireSeconds / 4))),
      // A completed job stays in the job table (where pg-boss's singleton index sees it) for a day, not
      // 12 hours: a daily schedule's tick is a singleton for its whole day (tickOptions).
      archiveCompletedAfterSeconds: 86_400,
    });
    this.boss.on('error', (err) => {
      if (!this.abandoned) this.log.error({ err }, 'job queue error');
    });
  }

  async start(definitions: JobDefinition[]): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const def of definitions) await this.ensureQueue(def);
    if (this.role === 'api') return;
    for (const def of definitions) {
      // pg-boss runs one job at a time per worker: more workers on the queue run more at once.
      for (let i = 0; i < (def.concurrency ?? 1); i++) {
        await this.boss.work<object>(def.name, async (jobs) => {
          for (const job of jobs) await this.run(def, job.id, job.data);
        });
      }
      if (def.cron) await this.boss.schedule(def.name, def.cron, {}, tickOptions(def.cron));
    }
  }

  /** One job run, timed and counted; a throw is rethrown for pg-boss to retry. */
  private async run(def: JobDefinition, id: string, data: object): Promise<void> {
    const end = jobDuration.startTimer({ queue: def.name });
    try {
      await inSpan(`job ${def.name}`, { 'job.id': id, 'job.queue': def.name }, () => def.handle(data));
      end({ outcome: 'completed' });
    } catch (err) {
      end({ outcome: 'failed' });
      jobFailures.inc({ queue: def.name });
      this.log.warn({ err, job: def.name, job_id: id }, 'job failed; pg-boss retries it');
      throw err;
    }
  }

  /**
   * Creates a job's queue unless it exists. Instances starting together race on pg-boss's DDL (a
   * deadlock or a duplicate on PostgreSQL): the loser waits a moment and looks again.
   */
  private async ensureQueue(def: JobDefinition): Promise<void> {
    const policy = def.policy ?? 'standard';
    const expireInSeconds = Math.max(this.expireSeconds, def.minExpireSeconds ?? 0);
    const options = { retryLimit: def.retryLimit ?? 5, retryBackoff: true, expireInSeconds };
    for (let attempt = 0; ; attempt++) {
      const existing = await this.boss.getQueue(def.name);
      if (existing) {
        // A changed JOB_EXPIRE_SECONDS applies to queues made by an earlier start, too.
        if (existing.expireInSeconds !== expireInSeconds || existing.policy !== policy) await this.boss.updateQueue(def.name, { name: def.name, policy, ...options });
        return;
      }
      try {
        await this.boss.createQueue(def.name, { name: def.name, policy, ...options });
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 5 || !['40P01', '23505', '42P07'].includes(code ?? '')) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
    }
  }

  async send(name: string, data: object, opts: SendOptions = {}): Promise<string | null> {
    const trx = opts.trx;
    return this.boss.send(name, data, {
      ...(trx ? { db: { executeSql: async (text: string, values: unknown[]) => trx.executeQuery(CompiledQuery.raw(text, values)) } } : {}),
      ...(opts.startAfterSeconds ? { startAfter: opts.startAfterSeconds } : {}),
      ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
    });
  }

  /**
   * Gives up on a queue whose start failed (the database went away), before another is made: what
   * started is stopped (jobs already fetched are handed back, if the database lets us), then the
   * instance is cut off from the database and its errors silenced, since pg-boss's stop() does
   * nothing for an instance whose own start failed.
   */
  async abandon(): Promise<void> {
    await this.stop(false, 0).catch(() => undefined);
    this.abandoned = true;
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for those running. pg-boss then fails the ones still
   * running back to the queue while their handlers may still be at work, so another worker can run a
   * job beside its cut-off first run: every handler must be safe to run twice at once (they claim
   * their rows or are keyed; see campaigns/dispatcher.ts and sms/inbound-job.ts).
   */
  async stop(graceful = true, timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful, timeout: timeoutMs, wait: true, close: false });
  }
}

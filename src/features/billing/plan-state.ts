import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { LIVE_STATUSES, type LimitName } from './plans.js';

export type Q = Kysely<DB> | Transaction<DB>;

/** Bytes in a knowledge MB (the unit KNOWLEDGE_MAX_FILE_MB counts in too). */
export const MB = 1024 * 1024;

/**
 * How much of each limit an account uses now, in the limit's counting unit (knowledge in bytes).
 * Metered limits count the current period: usage_daily days from the period's first (UTC) day.
 */
const USED: Record<LimitName, (accountId: string) => RawBuilder<unknown>> = {
  messages_per_month: (a) => sql`(select coalesce(sum(replies), 0) from usage_daily where account_id = ${a} and day >= (p.period_start at time zone 'utc')::date)`,
  call_minutes_per_month: (a) => sql`(select ceil(coalesce(sum(call_seconds), 0) / 60.0) from usage_daily where account_id = ${a} and day >= (p.period_start at time zone 'utc')::date)`,
  bots: (a) => sql`(select count(*) from bots where account_id = ${a} and deleted_at is null)`,
  phone_numbers: (a) => sql`(select count(*) from phone_numbers where account_id = ${a})`,
  knowledge_mb: (a) => sql`(select coalesce(sum(bytes), 0) from knowledge_sources where account_id = ${a})`,
};

export interface PlanState {
  /** The subscription row's fields; all null when the account has none. */
  plan_id: string | null;
  status: string | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  period_start: Date;
  period_end: Date;
  used: Partial<Record<LimitName, number>>;
  /** Thresholds already notified this period, per limit asked for. */
  alerted: Partial<Record<LimitName, Array<80 | 100>>>;
}

/**
 * The account's subscription, its current period (the subscription's while it is live and current,
 * else the calendar month, UTC) and the usage of the limits named, in one query.
 */
export async function readPlanState(q: Q, accountId: string, names: readonly LimitName[], opts: { alerts?: boolean } = {}): Promise<PlanState> {
  const columns = names.flatMap((n) => {
    const cols = [sql`${USED[n](accountId)} as ${sql.ref(`used_${n}`)}`];
    if (opts.alerts) {
      const alerted = (t: number) => sql`exists (select 1 from usage_alerts where account_id = ${accountId} and limit_name = ${n} and threshold = ${t} and period_start = (p.period_start at time zone 'utc')::date)`;
      cols.push(sql`${alerted(80)} as ${sql.ref(`a80_${n}`)}`, sql`${alerted(100)} as ${sql.ref(`a100_${n}`)}`);
    }
    return cols;
  });
  const month = sql`date_trunc('month', now() at time zone 'utc')`;
  const { rows } = await sql<Record<string, unknown>>`
    with s as (
      select plan_id, status, stripe_customer_id, stripe_subscription_id, current_period_start, current_period_end, cancel_at_period_end,
             status in (${sql.join([...LIVE_STATUSES])}) and current_period_start <= now() and current_period_end > now() as current
      from subscriptions where account_id = ${accountId}
    ), p as (
      select coalesce((select current_period_start from s where current), ${month} at time zone 'utc') as period_start,
             coalesce((select current_period_end from s where current), (${month} + interval '1 month') at time zone 'utc') as period_end
    )
    select s.plan_id, s.status, s.stripe_customer_id, s.stripe_subscription_id, s.current_period_end, coalesce(s.cancel_at_period_end, false) as cancel_at_period_end,
           p.period_start, p.period_end${columns.length ? sql`, ${sql.join(columns)}` : sql``}
    from p left join s on true`.execute(q);
  const r = rows[0]!;
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
  return {
    plan_id: (r.plan_id as string | null) ?? null,
    status: (r.status as string | null) ?? null,
    stripe_customer_id: (r.stripe_customer_id as string | null) ?? null,
    stripe_subscription_id: (r.stripe_subscription_id as string | null) ?? null,
    current_period_end: date(r.current_period_end),
    cancel_at_period_end: Boolean(r.cancel_at_period_end),
    period_start: date(r.period_start)!,
    period_end: date(r.period_end)!,
    used: Object.fromEntries(names.map((n) => [n, Number(r[`used_${n}`])])),
    alerted: Object.fromEntries(names.map((n) => [n, [...(r[`a80_${n}`] ? [80 as const] : []), ...(r[`a100_${n}`] ? [100 as const] : [])]])),
  };
}

/** The period's first day (UTC), as usage_alerts keys it. */
export const periodDay = (start: Date) => start.toISOString().slice(0, 10);

import { sql } from 'kysely';
import type { ServiceContext } from '../../core/context.js';
import { DomainError } from '../../core/errors.js';
import { eventRow } from '../../core/events.js';
import { effectivePlan, paymentsEnabled, type LimitName, type Plan } from './plans.js';
import { MB, periodDay, readPlanState, type PlanState, type Q } from './plan-state.js';

/**
 * Plan limits, enforced where the work happens: one query reads plan and usage (a counted limit
 * checked in a transaction first takes a lock, and a threshold reached costs one more statement),
 * nothing at all on a server without Stripe. The same check sends the 80 % and 100 % usage
 * notifications (`usage.threshold`), each once per period, when the work it admits brings usage
 * there, or at 100 % when it refuses the work: thresholds are noticed when quota is about to be
 * used, so talk time counted when a call ends is noticed at the next call.
 */

const WORDS: Record<LimitName, { unit: (n: number) => string; what: string; raise: string }> = {
  messages_per_month: { unit: (n) => `${n} bot ${n === 1 ? 'reply' : 'replies'} a month`, what: 'bot replies this month', raise: 'wait for the next month' },
  bots: { unit: (n) => `${n} ${n === 1 ? 'bot' : 'bots'}`, what: 'bots', raise: 'delete a bot' },
  phone_numbers: { unit: (n) => `${n} phone ${n === 1 ? 'number' : 'numbers'}`, what: 'phone numbers', raise: 'detach a number with release' },
  knowledge_mb: { unit: (n) => `${n} MB of knowledge`, what: 'MB of knowledge stored', raise: 'delete some knowledge' },
  call_minutes_per_month: { unit: (n) => `${n} call ${n === 1 ? 'minute' : 'minutes'} a month`, what: 'call minutes this month', raise: 'wait for the next month' },
};

/** A limit's value in the unit usage is counted in (knowledge in bytes). */
const inUnits = (name: LimitName, value: number) => (name === 'knowledge_mb' ? value * MB : value);
/** Usage as get_usage and the notifications report it (knowledge in MB, two decimals). */
export const reported = (name: LimitName, used: number) => (name === 'knowledge_mb' ? Math.round((used / MB) * 100) / 100 : used);

function limitReached(name: LimitName, plan: Plan, limit: number, used: number): DomainError {
  const w = WORDS[name];
  return new DomainError(
    'plan_limit',
    `${name}_limit_reached`,
    `Plan limit ${name} reached: the ${plan.name} plan allows ${w.unit(limit)} and this account has ${reported(name, used)} ${w.what}. Move to a bigger plan (get_plans, create_checkout_session) or ${w.raise}.`,
  );
}

/**
 * Whether `adding` more of `name` fits the account's plan: null when it does, else the 402 to throw.
 * `q` may be the transaction doing the work: for counted limits (bots, numbers) concurrent checks of
 * one account then take turns, so two requests cannot both take the last place.
 */
export async function limitCheck(q: Q, ctx: ServiceContext, name: LimitName, adding = 1): Promise<DomainError | null> {
  if (!paymentsEnabled(ctx.config)) return null;
  if (q.isTransaction && (name === 'bots' || name === 'phone_numbers')) {
    await sql`select pg_advisory_xact_lock(hashtext(${`sinth.plan-limit:${ctx.accountId}:${name}`}))`.execute(q);
  }
  const state = await readPlanState(q, ctx.accountId, [name], { alerts: true });
  const plan = effectivePlan(ctx.config, state);
  const limit = plan.limits[name];
  if (limit === null) return null;
  const used = state.used[name]!;
  const over = used + adding > inUnits(name, limit);
  if (!over) {
    await notifyThresholds(q, ctx, { name, plan, limit, state, used: used + adding });
    return null;
  }
  // Refused: the limit is reached for this account, whatever its usage lands on.
  const notice = { name, plan, limit, state, used: Math.max(used, inUnits(name, limit)) };
  if (!q.isTransaction) await notifyThresholds(q, ctx, notice);
  else {
    // The caller's transaction rolls back with the 402, and the notice with it: written instead on its
    // own, queued behind that transaction (never awaited inside it: PGlite has one connection). Best
    // effort: a process that dies before it runs loses it, and the next refusal sends it.
    notifyThresholds(ctx.db, ctx, notice).catch((err: unknown) => ctx.log.error({ limit: name, err: String(err) }, 'usage notice of a refused addition not recorded'));
  }
  return limitReached(name, plan, limit, used);
}

/** Throws the 402 naming the limit when `adding` more of `name` would go past the account's plan. */
export async function assertWithinLimit(q: Q, ctx: ServiceContext, name: LimitName, adding = 1): Promise<void> {
  const refused = await limitCheck(q, ctx, name, adding);
  if (refused) throw refused;
}

/**
 * Records each threshold `used` reaches that was not yet notified this period, and sends the highest
 * of them as a `usage.threshold` event (usage that leaps past 80 % to 100 % is one notice, not two),
 * in one statement: the unique key makes a concurrent duplicate a no-op, and only thresholds this
 * statement inserted are sent.
 */
async function notifyThresholds(q: Q, ctx: ServiceContext, at: { name: LimitName; plan: Plan; limit: number; state: PlanState; used: number }) {
  const { name, limit, state } = at;
  if (limit === 0) return; // a plan without this feature has no usage to warn about
  const reached = ([80, 100] as const).filter((t) => at.used * 100 >= t * inUnits(name, limit) && !state.alerted[name]!.includes(t));
  if (!reached.length) return;
  const period = periodDay(state.period_start);
  const events = reached.map((threshold) => ({
    threshold,
    ...eventRow(ctx, 'usage.threshold', { limit: name, threshold, used: reported(name, at.used), limit_value: limit, plan_id: at.plan.id, period_start: state.period_start.toISOString() }),
  }));
  const values = sql.join(events.map((e) => sql`(${e.threshold}::smallint, ${e.id}, ${e.type}, ${e.payload}::jsonb)`));
  await sql`
    with v (threshold, id, type, payload) as (values ${values}),
    added as (
      insert into usage_alerts (account_id, period_start, limit_name, threshold)
      select ${ctx.accountId}, ${period}::date, ${name}, threshold from v
      on conflict do nothing
      returning threshold
    )
    insert into outbox_events (id, account_id, type, payload)
    select v.id, ${ctx.accountId}, v.type, v.payload from v where v.threshold = (select max(threshold) from added)`.execute(q);
}

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type Config } from '../../config.js';

/**
 * The plan catalog: configuration, not data. A default catalog (free, creator, pro) that PLANS_FILE
 * replaces. Without STRIPE_SECRET_KEY nothing is sold and every account is on the unlimited
 * self-hosted plan.
 */

export const LIMIT_NAMES = ['messages_per_month', 'bots', 'phone_numbers', 'knowledge_mb', 'call_minutes_per_month'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

const limit = z.number().int().min(0).max(1_000_000_000).nullable();

const PlanSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be 1-40 lower-case letters, digits or _, starting with a letter'),
  name: z.string().trim().min(1).max(60),
  /** amount in the currency's minor unit (cents), as Stripe counts it. */
  price: z.strictObject({
    amount: z.number().int().min(0),
    currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO currency code such as usd'),
    interval: z.literal('month'),
  }),
  /** The Stripe Price a checkout sells; null: not for sale until configured. */
  stripe_price_id: z.string().regex(/^price_[A-Za-z0-9_]{1,200}$/, 'must be a Stripe price id (price_…)').nullable().default(null),
  /** null: unlimited. */
  limits: z.strictObject({
    messages_per_month: limit,
    bots: limit,
    phone_numbers: limit,
    knowledge_mb: limit,
    call_minutes_per_month: limit,
  }),
});
export type Plan = z.infer<typeof PlanSchema>;

const PlanFileSchema = z
  .array(PlanSchema)
  .min(1)
  .superRefine((plans, ctx) => {
    const ids = plans.map((p) => p.id);
    const prices = plans.flatMap((p) => (p.stripe_price_id ? [p.stripe_price_id] : []));
    ids.forEach((id, i) => ids.indexOf(id) !== i && ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `plan id "${id}" appears twice` }));
    prices.forEach((p, i) => prices.indexOf(p) !== i && ctx.addIssue({ code: 'custom', path: [], message: `stripe_price_id "${p}" belongs to two plans` }));
    if (!ids.includes('free')) ctx.addIssue({ code: 'custom', path: [], message: 'a plan with id "free" is required: accounts without a subscription are on it' });
    const reserved = ids.indexOf(SELF_HOSTED_ID);
    if (reserved >= 0) ctx.addIssue({ code: 'custom', path: [reserved, 'id'], message: `"${SELF_HOSTED_ID}" is reserved for servers without Stripe` });
  });

const SELF_HOSTED_ID = 'self_hosted';

/** Every account's plan when the server has no Stripe key. */
export const SELF_HOSTED_PLAN: Plan = {
  id: SELF_HOSTED_ID,
  name: 'Self-hosted',
  price: { amount: 0, currency: 'usd', interval: 'month' },
  stripe_price_id: null,
  limits: { messages_per_month: null, bots: null, phone_numbers: null, knowledge_mb: null, call_minutes_per_month: null },
};

const DEFAULT_PLANS: Plan[] = [
  {
    id: 'free',
    name: 'Free',
    price: { amount: 0, currency: 'usd', interval: 'month' },
    stripe_price_id: null,
    limits: { messages_per_month: 300, bots: 1, phone_numbers: 1, knowledge_mb: 10, call_minutes_per_month: 10 },
  },
  {
    id: 'creator',
    name: 'Creator',
    price: { amount: 2900, currency: 'usd', interval: 'month' },
    stripe_price_id: null,
    limits: { messages_per_month: 5_000, bots: 5, phone_numbers: 2, knowledge_mb: 200, call_minutes_per_month: 300 },
  },
  {
    id: 'pro',
    name: 'Pro',
    price: { amount: 9900, currency: 'usd', interval: 'month' },
    stripe_price_id: null,
    limits: { messages_per_month: 25_000, bots: 25, phone_numbers: 10, knowledge_mb: 2_000, call_minutes_per_month: 2_000 },
  },
];

export interface Catalog {
  plans: Plan[];
  byId: Map<string, Plan>;
  byPrice: Map<string, Plan>;
  free: Plan;
}

function catalogOf(plans: Plan[]): Catalog {
  const byId = new Map(plans.map((p) => [p.id, p]));
  const byPrice = new Map(plans.flatMap((p) => (p.stripe_price_id ? [[p.stripe_price_id, p] as const] : [])));
  return { plans, byId, byPrice, free: byId.get('free')! };
}

/** Reads and validates a plans file; a bad one is a ConfigError naming the problem, so the start stops. */
export function readPlansFile(path: string): Plan[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`PLANS_FILE: ${path} cannot be read as JSON (${(err as Error).message})`);
  }
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${['plans', ...i.path].join('.')}: ${i.message}`);
    throw new ConfigError(`PLANS_FILE: ${path} is not a valid plan list:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

const loaded = new Map<string, Catalog>();

/** The catalog of this configuration, read once per process (billing's routes and jobs read it at start). */
export function planCatalog(config: Pick<Config, 'PLANS_FILE'>): Catalog {
  const key = config.PLANS_FILE ?? '';
  let catalog = loaded.get(key);
  if (!catalog) loaded.set(key, (catalog = catalogOf(config.PLANS_FILE ? readPlansFile(config.PLANS_FILE) : DEFAULT_PLANS)));
  return catalog;
}

/** Plans are sold (and enforced) only when the server has a Stripe key. */
export const paymentsEnabled = (config: Pick<Config, 'STRIPE_SECRET_KEY'>) => Boolean(config.STRIPE_SECRET_KEY);

/** Subscription statuses under which the account keeps its plan (Stripe still retries a past-due payment). */
export const LIVE_STATUSES = ['active', 'trialing', 'past_due'] as const;
export const isLive = (status: string | null | undefined) => (LIVE_STATUSES as readonly string[]).includes(status ?? '');

/**
 * The plan an account is on: self-hosted without Stripe; with Stripe, its subscription's plan while
 * that is live, else free. A plan id no longer in the catalog counts as free.
 */
export function effectivePlan(config: Pick<Config, 'STRIPE_SECRET_KEY' | 'PLANS_FILE'>, row: { plan_id: string | null; status: string | null } | null | undefined): Plan {
  if (!paymentsEnabled(config)) return SELF_HOSTED_PLAN;
  const catalog = planCatalog(config);
  if (!row?.plan_id || !isLive(row.status)) return catalog.free;
  return catalog.byId.get(row.plan_id) ?? catalog.free;
}

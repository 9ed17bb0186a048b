import { z } from 'zod';

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048);
const LimitValue = z.number().nullable().describe('null: unlimited');

export const PlanOut = z
  .object({
    plan_id: z.string(),
    name: z.string(),
    price: z.object({ amount: z.number().int().describe('In the currency\'s minor unit (cents)'), currency: z.string(), interval: z.literal('month') }),
    limits: z.object({
      messages_per_month: LimitValue.describe('Bot replies a month; null: unlimited'),
      bots: LimitValue,
      phone_numbers: LimitValue,
      knowledge_mb: LimitValue,
      call_minutes_per_month: LimitValue,
    }),
    purchasable: z.boolean().describe('Whether create_checkout_session can sell it (Stripe configured and the plan has a Stripe price)'),
    current: z.boolean().describe('The plan this account is on'),
  })
  .meta({ id: 'Plan' });

export const PlanList = z.object({ data: z.array(PlanOut), next_cursor: z.null() });

export const SubscriptionOut = z
  .object({
    plan_id: z.string(),
    plan_name: z.string(),
    status: z.string().describe('Stripe\'s status (active, trialing, past_due, canceled, incomplete, …); none: no subscription (the free plan); active on a self-hosted server'),
    current_period_end: z.string().nullable(),
    cancel_at_period_end: z.boolean(),
    billing: z.enum(['stripe', 'self_hosted']).describe('self_hosted: no Stripe key, every account unlimited'),
  })
  .meta({ id: 'Subscription' });

export const CheckoutInput = z.strictObject({
  plan_id: z.string().min(1).max(40),
  success_url: HttpUrl,
  cancel_url: HttpUrl,
});
export type CheckoutInput = z.infer<typeof CheckoutInput>;
export const CheckoutOut = z.object({ url: z.string(), session_id: z.string() });

export const PortalInput = z.strictObject({ return_url: HttpUrl });
export const PortalOut = z.object({ url: z.string() });

export const CancelInput = z.strictObject({
  at_period_end: z.boolean().default(true).describe('true (default): the plan stays until the period ends; false: it ends now'),
});
export type CancelInput = z.infer<typeof CancelInput>;

const UsageLine = z.object({ used: z.number(), limit: LimitValue, percent: z.number().nullable().describe('used as a share of the limit; null when unlimited') });

export const UsageOut = z
  .object({
    plan_id: z.string(),
    period: z.object({ start: z.string(), end: z.string() }),
    limits: z.object({
      messages_per_month: UsageLine.describe('Bot replies this period'),
      bots: UsageLine,
      phone_numbers: UsageLine,
      knowledge_mb: UsageLine.describe('Knowledge stored, in MB'),
      call_minutes_per_month: UsageLine.describe('Call minutes this period'),
    }),
  })
  .meta({ id: 'Usage' });

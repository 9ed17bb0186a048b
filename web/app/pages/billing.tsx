import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ConfirmButton } from '../components/confirm-button';
import { useIdempotencyKey, withIdempotencyKey } from '../components/idempotency';
import { ErrorBanner, formatTime, Loading, Page, Progress, useAction, useApi } from '../components/ui';

type LimitName = 'messages_per_month' | 'bots' | 'phone_numbers' | 'knowledge_mb' | 'call_minutes_per_month';
interface Plan {
  plan_id: string;
  name: string;
  price: { amount: number; currency: string; interval: 'month' };
  limits: Record<LimitName, number | null>;
  purchasable: boolean;
  current: boolean;
}
interface Subscription {
  plan_id: string;
  plan_name: string;
  status: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  billing: 'stripe' | 'self_hosted';
}
interface Usage {
  plan_id: string;
  period: { start: string; end: string };
  limits: Record<LimitName, { used: number; limit: number | null; percent: number | null }>;
}

const LIMITS: Array<[LimitName, string]> = [
  ['messages_per_month', 'Bot replies this month'],
  ['bots', 'Bots'],
  ['phone_numbers', 'Phone numbers'],
  ['knowledge_mb', 'Knowledge (MB)'],
  ['call_minutes_per_month', 'Call minutes this month'],
];
const LIVE = ['active', 'trialing', 'past_due', 'unpaid', 'incomplete'];

const price = (p: Plan['price']) =>
  p.amount === 0 ? 'Free' : `${new Intl.NumberFormat(undefined, { style: 'currency', currency: p.currency.toUpperCase() }).format(p.amount / 100)} / ${p.interval}`;
const amount = (v: number | null) => (v === null ? 'unlimited' : v.toLocaleString());

/** Goes to a Checkout or portal page the API answered with; only https (Stripe's pages) or this origin is followed. */
function goToPaymentPage(url: string): void {
  let target: URL | null = null;
  try {
    target = new URL(url, location.href);
  } catch {
    target = null;
  }
  if (!target || (target.protocol !== 'https:' && target.origin !== location.origin)) {
    throw new Error('The server answered with a payment page address that is not https, so it was not opened.');
  }
  location.assign(target.href);
}

/** Plans, the subscription, usage against the limits; Stripe Checkout, the billing portal, cancel. */
export default function BillingPage() {
  const sub = useApi(() => get<Subscription>('/get_subscription'), []);
  const plans = useApi(() => get<{ data: Plan[] }>('/get_plans'), []);
  const usage = useApi(() => get<Usage>('/get_usage'), []);
  // A double click opens one Checkout session, not two.
  const idem = useIdempotencyKey();
  const checkout = useAction(async (plan: Plan) => {
    const here = location.href;
    const res = await withIdempotencyKey(idem, (key) =>
      post<{ url: string }>('/create_checkout_session', { plan_id: plan.plan_id, success_url: here, cancel_url: here }, { idempotencyKey: `${key}:${plan.plan_id}` }),
    );
    // A navigation the user asked for (to Stripe's page); the dashboard itself loads nothing from there.
    goToPaymentPage(res.url);
  });
  const portal = useAction(async () => {
    const res = await post<{ url: string }>('/create_billing_portal_session', { return_url: location.href });
    goToPaymentPage(res.url);
  });
  const [canceled, setCanceled] = useState<string | null>(null);
  const cancel = useAction(async (atPeriodEnd: boolean) => {
    const s = await post<Subscription>('/cancel_subscription', { at_period_end: atPeriodEnd });
    setCanceled(atPeriodEnd ? `Your plan stays until ${formatTime(s.current_period_end)}, then ends.` : 'Your subscription has ended; the account is on the free plan.');
    sub.reload();
    plans.reload();
    usage.reload();
  });
  const s = sub.data;

  return (
    <Page title="Billing">
      <section class="card" aria-labelledby="sub-h">
        <h2 id="sub-h">Subscription</h2>
        {sub.loading && !s ? <Loading /> : <ErrorBanner error={sub.error} />}
        {s && (
          <>
            <p>
              <strong>{s.plan_name}</strong> <span class={`badge ${LIVE.includes(s.status) ? 'ok' : ''}`}>{s.status}</span>
              {s.current_period_end && (
                <span class="muted">
                  {' '}
                  · {s.cancel_at_period_end ? 'ends' : 'renews'} {formatTime(s.current_period_end)}
                </span>
              )}
            </p>
            {s.billing === 'self_hosted' && <p class="notice">This server runs without Stripe: every account is on the unlimited self-hosted plan.</p>}
            <div class="actions">
              {s.billing === 'stripe' && (
                <button type="button" onClick={() => void portal.run()} disabled={portal.busy}>
                  Billing portal (payment method, invoices)
                </button>
              )}
              {s.billing === 'stripe' && LIVE.includes(s.status) && !s.cancel_at_period_end && (
                <>
                  <ConfirmButton label="Cancel at period end" question="Cancel? The plan stays until the period ends." confirmLabel="Yes, cancel at period end" busy={cancel.busy} onConfirm={() => void cancel.run(true)} />
                  <ConfirmButton label="Cancel now" question="End the subscription now? The account drops to the free plan at once." confirmLabel="Yes, end it now" busy={cancel.busy} onConfirm={() => void cancel.run(false)} />
                </>
              )}
            </div>
            {canceled && (
              <p class="notice" role="status">
                {canceled}
              </p>
            )}
            <ErrorBanner error={portal.error ?? cancel.error} />
          </>
        )}
      </section>

      <section class="card" aria-labelledby="usage-h">
        <h2 id="usage-h">Usage this period</h2>
        {usage.loading && !usage.data ? <Loading /> : <ErrorBanner error={usage.error} />}
        {usage.data && (
          <>
            <p class="muted">
              {formatTime(usage.data.period.start)} – {formatTime(usage.data.period.end)}
            </p>
            <ul class="plain usage">
              {LIMITS.map(([k, label]) => {
                const l = usage.data!.limits[k];
                return (
                  <li key={k}>
                    <span>
                      {label}: {amount(l.used)} of {amount(l.limit)}
                      {l.percent !== null ? ` (${l.percent} %)` : ''}
                    </span>
                    {l.percent !== null ? <Progress value={l.percent / 100} label={`${label}: ${l.percent} % used`} /> : null}
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>

      <h2>Plans</h2>
      {plans.loading && !plans.data ? <Loading /> : <ErrorBanner error={plans.error} />}
      <ErrorBanner error={checkout.error} />
      <ul class="cards">
        {plans.data?.data.map((p) => (
          <li key={p.plan_id} class={`card ${p.current ? 'current' : ''}`}>
            <h3>
              {p.name} {p.current && <span class="badge ok">current</span>}
            </h3>
            <p>
              <strong>{price(p.price)}</strong>
            </p>
            <ul class="muted">
              {LIMITS.map(([k, label]) => (
                <li key={k}>
                  {label.replace(' this month', '')}: {amount(p.limits[k])}
                  {k.endsWith('per_month') ? ' a month' : ''}
                </li>
              ))}
            </ul>
            {!p.current && (
              <button type="button" class={p.purchasable ? 'primary' : ''} disabled={checkout.busy} onClick={() => void checkout.run(p)}>
                Choose {p.name}
              </button>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}

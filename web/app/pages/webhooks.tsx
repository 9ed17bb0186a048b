import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ConfirmButton } from '../components/confirm-button';
import { ErrorBanner, Field, formatTime, Loading, Page, SecretOnce, submitting, useAction, useApi, valueOf } from '../components/ui';
import { Deliveries } from './webhooks/deliveries';
import { WEBHOOK_EVENT_TYPES } from '../../../src/core/webhook-event-types';

interface Webhook {
  webhook_id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
}

// The event types add_webhook accepts: the server's own list.
const EVENTS = WEBHOOK_EVENT_TYPES;

/** Webhook endpoints: add (secret shown once), delete, and each one's deliveries. */
export default function WebhooksPage() {
  const list = useApi(() => get<{ data: Webhook[]; next_cursor: string | null }>('/get_webhooks', { limit: 200 }), []);
  const [added, setAdded] = useState<(Webhook & { secret: string }) | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const remove = useAction(async (id: string) => {
    await post('/delete_webhook', { webhook_id: id });
    if (added?.webhook_id === id) setAdded(null);
    list.reload();
  });
  const hooks = list.data?.data ?? [];

  return (
    <Page title="Webhooks">
      <AddWebhook
        onAdded={(w) => {
          setAdded(w);
          list.reload();
        }}
      />
      {added && <SecretOnce label={`Signing secret of ${added.url}`} value={added.secret} />}
      <h2>Endpoints</h2>
      {list.loading && !list.data ? <Loading /> : <ErrorBanner error={list.error} />}
      <ErrorBanner error={remove.error} />
      {list.data && !hooks.length && <p class="muted">No endpoints yet: add one above to receive events as signed JSON POSTs.</p>}
      <ul class="plain">
        {hooks.map((w) => (
          <li key={w.webhook_id} class="card">
            <h3 class="wrap">{w.url}</h3>
            <p>
              <span class={`badge ${w.enabled ? 'ok' : 'bad'}`}>{w.enabled ? 'enabled' : 'disabled'}</span>{' '}
              <span class="muted">
                {w.events.includes('*') ? 'every event' : w.events.join(', ')} · added {formatTime(w.created_at)}
              </span>
            </p>
            {w.failing_since && <p class="error">Every delivery has failed since {formatTime(w.failing_since)}.</p>}
            {!w.enabled && w.disabled_reason && (
              <p class="error">
                Disabled {formatTime(w.disabled_at)}: {w.disabled_reason}
              </p>
            )}
            <div class="actions">
              <button type="button" aria-expanded={open === w.webhook_id} onClick={() => setOpen(open === w.webhook_id ? null : w.webhook_id)}>
                {open === w.webhook_id ? 'Hide deliveries' : 'Deliveries'}
              </button>
              <ConfirmButton
                label="Delete"
                name={`Delete ${w.url}`}
                question="Delete this endpoint and its deliveries?"
                confirmLabel="Yes, delete"
                busy={remove.busy}
                onConfirm={() => void remove.run(w.webhook_id)}
              />
            </div>
            {open === w.webhook_id && <Deliveries webhookId={w.webhook_id} />}
          </li>
        ))}
      </ul>
    </Page>
  );
}

function AddWebhook({ onAdded }: { onAdded: (w: Webhook & { secret: string }) => void }) {
  const [url, setUrl] = useState('');
  const [all, setAll] = useState(false);
  const [events, setEvents] = useState<string[]>([]);
  const add = useAction(async () => {
    const w = await post<Webhook & { secret: string }>('/add_webhook', { url, events: all ? ['*'] : events });
    setUrl('');
    setEvents([]);
    setAll(false);
    onAdded(w);
  });
  return (
    <form
      class="card"
      aria-label="Add a webhook"
      onSubmit={submitting(() => add.run())}
    >
      <h2>Add an endpoint</h2>
      <Field label="Endpoint URL" hint="Receives each event as a JSON POST signed per Standard Webhooks.">
        <input type="url" required value={url} placeholder="https://example.com/hooks/sinth" onInput={(e) => setUrl(valueOf(e))} />
      </Field>
      <fieldset class="field">
        <legend class="label">Events</legend>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> Every event (including ones added later)
        </label>
        <div class="checks">
          {EVENTS.map((ev) => (
            <label key={ev} class="check">
              <input
                type="checkbox"
                disabled={all}
                checked={all || events.includes(ev)}
                onChange={(e) => setEvents(e.currentTarget.checked ? [...events, ev] : events.filter((x) => x !== ev))}
              />{' '}
              {ev}
            </label>
          ))}
        </div>
      </fieldset>
      <button type="submit" class="primary" disabled={add.busy}>
        Add webhook
      </button>
      <ErrorBanner error={add.error} />
    </form>
  );
}

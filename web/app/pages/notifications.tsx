import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBanner, Field, formatTime, Loading, Page, submitting, Toggle, useAction, useApi, valueOf } from '../components/ui';

interface Settings {
  emails: string[];
  events: string[];
  digest: boolean;
  delivery: 'smtp' | 'logged';
  updated_at: string | null;
}
interface TestResult {
  sent: boolean;
  delivery: 'smtp' | 'logged';
  to: string[];
  message_id: string | null;
  message: string;
}

// NOTIFICATION_EVENTS of src/features/notifications/schemas.ts, with what each one means.
const EVENTS: Array<[string, string]> = [
  ['takeover_requested', 'A fan asks for a person, or writes while a person has the conversation'],
  ['new_user', 'New fans (at most one email per 15 minutes)'],
  ['source_failed', 'A knowledge source could not be read'],
  ['campaign_finished', 'A bulk campaign completed or was canceled'],
  ['webhook_disabled', 'A webhook endpoint was switched off after failing'],
  ['payment_failed', 'A subscription payment failed'],
  ['usage_threshold', 'Usage reached 80 % or 100 % of a plan limit'],
];

/** Notification emails: where they go, about what, the daily digest, and a test email. */
export default function NotificationsPage() {
  const settings = useApi(() => get<Settings>('/get_notification_settings'), []);
  return (
    <Page title="Notifications">
      {settings.loading && !settings.data ? <Loading /> : <ErrorBanner error={settings.error} />}
      {settings.data && <SettingsForm initial={settings.data} />}
      <TestNotification />
    </Page>
  );
}

function SettingsForm({ initial }: { initial: Settings }) {
  const [current, setCurrent] = useState(initial);
  const [emails, setEmails] = useState(initial.emails.join('\n'));
  const [events, setEvents] = useState(initial.events);
  const [digest, setDigest] = useState(initial.digest);
  const [saved, setSaved] = useState(false);
  // Any edit after a save makes "Saved" stale.
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    setSaved(false);
    set(v);
  };
  const save = useAction(async () => {
    const list = emails
      .split(/[\n,]/)
      .map((e) => e.trim())
      .filter(Boolean);
    const next = await post<Settings>('/edit_notification_settings', { emails: list, events, digest });
    setCurrent(next);
    setEmails(next.emails.join('\n'));
    setEvents(next.events);
    setDigest(next.digest);
    setSaved(true);
  });
  return (
    <form
      class="card"
      aria-label="Notification settings"
      onSubmit={submitting(() => save.run())}
    >
      {current.delivery === 'logged' && (
        <p class="notice">This server has no SMTP_URL: notification emails are written to its log, not sent.</p>
      )}
      <Field label="Email addresses" hint="One per line, 1 to 5 addresses.">
        <textarea rows={3} value={emails} onInput={(e) => edit(setEmails)(valueOf(e))} />
      </Field>
      <fieldset class="field">
        <legend class="label">Email me when</legend>
        {EVENTS.map(([ev, what]) => (
          <label key={ev} class="check">
            <input type="checkbox" checked={events.includes(ev)} onChange={(e) => edit(setEvents)(e.currentTarget.checked ? [...events, ev] : events.filter((x) => x !== ev))} />{' '}
            <span>
              {what} <span class="muted">({ev})</span>
            </span>
          </label>
        ))}
      </fieldset>
      <p>
        <Toggle label="Daily digest of the previous day" checked={digest} onChange={edit(setDigest)} />
      </p>
      <button type="submit" class="primary" disabled={save.busy}>
        Save settings
      </button>
      <span role="status" class="status-inline">
        {saved ? `Saved ${formatTime(current.updated_at)}.` : ''}
      </span>
      <ErrorBanner error={save.error} />
    </form>
  );
}

function TestNotification() {
  const [result, setResult] = useState<TestResult | null>(null);
  const send = useAction(async () => {
    setResult(null);
    setResult(await post<TestResult>('/send_test_notification', {}));
  });
  return (
    <section class="card" aria-labelledby="test-h">
      <h2 id="test-h">Test email</h2>
      <p class="muted">Sends a test email to the saved addresses now.</p>
      <button type="button" onClick={() => void send.run()} disabled={send.busy}>
        {send.busy ? 'Sending…' : 'Send test notification'}
      </button>
      <div role="status">
        {result && (
          <p class={result.sent ? 'notice' : 'muted'}>
            {result.message} {result.to.length ? `(to ${result.to.join(', ')})` : ''}
          </p>
        )}
      </div>
      <ErrorBanner error={send.error} />
    </section>
  );
}

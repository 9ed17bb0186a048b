import { useState } from 'preact/hooks';
import { get, post } from '../../api';
import { useIdempotencyKey, withIdempotencyKey } from '../../components/idempotency';
import { ErrorBanner, Field, submitting, Toggle, useAction, useApi, valueOf } from '../../components/ui';
import { AudienceCount, useAudiencePreview, type Audience } from './audience-count';
import { previewTemplate, type SampleUser } from './template';

interface User extends SampleUser {
  user_id: string;
  phone: string | null;
  opted_out: boolean;
  blocked: boolean;
}
export interface SendResult {
  campaign_id: string;
  status: string;
  recipients: number;
  unmatched_user_ids: number;
}
type AudienceKind = 'all' | 'tags' | 'user_ids';

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The audience as the API takes it; null while the list of tags or ids is still empty. */
function audienceOf(kind: AudienceKind, tags: string, ids: string): Audience | null {
  if (kind === 'all') return { all: true };
  const list = lines(kind === 'tags' ? tags : ids);
  if (!list.length) return null;
  return kind === 'tags' ? { tags: list } : { user_ids: list };
}

/** A sample end user when the bot has none yet, so the preview still shows what {{name}} becomes. */
const NOBODY: User = { user_id: '', name: null, attributes: {}, phone: null, opted_out: false, blocked: false };

/** Compose a bulk SMS: bot, audience, template with a live preview, schedule; sent with an Idempotency-Key. */
export function Compose({ bots, onSent }: { bots: Array<{ bot_id: string; name: string }>; onSent: (r: SendResult) => void }) {
  const [botId, setBotId] = useState('');
  const bot = botId || bots[0]?.bot_id || '';
  const [kind, setKind] = useState<AudienceKind>('all');
  const [tags, setTags] = useState('');
  const [ids, setIds] = useState('');
  const [message, setMessage] = useState('Hi {{name}}, ');
  const [later, setLater] = useState(false);
  const [when, setWhen] = useState('');
  const [quiet, setQuiet] = useState(true);
  const [sampleId, setSampleId] = useState('');
  // One key per composed campaign: a retried click (or a network retry) cannot send it twice.
  const idem = useIdempotencyKey();

  const users = useApi(async () => (bot ? (await get<{ data: User[] }>('/get_users', { bot_id: bot, limit: 20 })).data : []), [bot]);
  const sample = users.data?.find((u) => u.user_id === sampleId) ?? users.data?.[0] ?? NOBODY;
  const { text: preview, error: templateError } = previewTemplate(message, sample);

  const audience = audienceOf(kind, tags, ids);
  const count = useAudiencePreview(bot, audience);

  // An empty list still goes to the server, whose refusal is shown as it words it.
  const send = useAction(async () => {
    const schedule_at = later && when ? new Date(when).toISOString() : undefined;
    const body = { bot_id: bot, audience: audience ?? { [kind]: [] }, message, channel: 'sms', quiet_hours: quiet, ...(schedule_at ? { schedule_at } : {}) };
    const res = await withIdempotencyKey(idem, (key) => post<SendResult>('/send_bulk_messages', body, { idempotencyKey: key }));
    onSent(res);
  });

  return (
    <form
      class="card"
      aria-label="Compose a campaign"
      onSubmit={submitting(() => send.run())}
    >
      <h2>New SMS campaign</h2>
      <div class="split">
        <div>
          <Field label="Bot" hint="Texts go out from the bot's SMS number.">
            <select value={bot} onChange={(e) => setBotId(valueOf(e))} required>
              {!bots.length && <option value="">No bots yet</option>}
              {bots.map((b) => (
                <option key={b.bot_id} value={b.bot_id}>
                  {b.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Audience">
            <select value={kind} onChange={(e) => setKind(valueOf(e) as AudienceKind)}>
              <option value="all">Every end user of the bot</option>
              <option value="tags">End users with any of these tags</option>
              <option value="user_ids">These user ids</option>
            </select>
          </Field>
          {kind === 'tags' && (
            <Field label="Tags" hint="Comma or one per line.">
              <input required value={tags} onInput={(e) => setTags(valueOf(e))} />
            </Field>
          )}
          {kind === 'user_ids' && (
            <Field label="User ids" hint="One per line.">
              <textarea required rows={4} value={ids} onInput={(e) => setIds(valueOf(e))} />
            </Field>
          )}
          <AudienceCount state={count} empty={kind === 'tags' ? 'Enter tags to count the audience.' : 'Enter user ids to count the audience.'} />
          <p class="hint">Counted as of now. The audience is fixed when the campaign is created, and each message is checked again when its turn comes.</p>
          <Field label="Message" hint="{{name}} is the user's name (“there” when unknown), {{city}} one of their attributes, {{city|your town}} with a default.">
            <textarea required maxLength={1600} value={message} onInput={(e) => setMessage(valueOf(e))} aria-invalid={templateError !== null} />
          </Field>
          {templateError && <p class="error">{templateError}</p>}
        </div>
        <div>
          <Field label="Preview for">
            <select value={sample.user_id} onChange={(e) => setSampleId(valueOf(e))} disabled={!users.data?.length}>
              {!users.data?.length && <option value="">A user with no name or attributes</option>}
              {users.data?.map((u) => (
                <option key={u.user_id} value={u.user_id}>
                  {u.name ?? u.user_id} {u.opted_out ? '(opted out)' : u.blocked ? '(blocked)' : ''}
                </option>
              ))}
            </select>
          </Field>
          <ErrorBanner error={users.error} />
          <div class="sms-preview" aria-live="polite" aria-label="Preview">
            <p class="msg assistant">{preview || '…'}</p>
            <p class="hint">{[...preview].length} characters</p>
          </div>
          <p>
            <Toggle label="Quiet hours (no texts 21:00–08:00 recipient time)" checked={quiet} onChange={setQuiet} />
          </p>
          <p>
            <Toggle label="Schedule for later" checked={later} onChange={setLater} />
          </p>
          {later && (
            <Field label="Send at" hint="Your local time.">
              <input type="datetime-local" required value={when} onInput={(e) => setWhen(valueOf(e))} />
            </Field>
          )}
        </div>
      </div>
      <button type="submit" class="primary" disabled={send.busy || !bot || templateError !== null}>
        {later ? 'Schedule campaign' : 'Send campaign'}
      </button>
      <ErrorBanner error={send.error} />
    </form>
  );
}

import { useState } from 'preact/hooks';
import { get, post } from '../../api';
import { botLabel, type BotName } from '../../components/bot-select';
import { usePagedList, type ApiPage } from '../../components/paged-list';
import { ErrorBanner, formatTime, Loading, MoreButton, submitting, TableHead, useAction } from '../../components/ui';

export interface PhoneNumber {
  number_id: string;
  phone_number: string;
  provider: 'twilio' | 'sinch' | 'sandbox';
  source: string;
  bot_id: string | null;
  capabilities: { sms: boolean; voice: boolean };
  created_at: string;
}

export function useNumbers() {
  return usePagedList((cursor) => get<ApiPage<PhoneNumber>>('/get_phone_numbers', { limit: 50, cursor }), []);
}

/** The account's numbers, each with its routing: assign to a bot, or detach. */
export function NumberList({ numbers: list, bots }: { numbers: ReturnType<typeof useNumbers>; bots: BotName[] | null }) {
  const rows = list.rows;
  return (
    <section class="card" aria-labelledby="numbers-title">
      <h2 id="numbers-title">Your numbers</h2>
      {list.loading && !rows.length ? <Loading what="Loading numbers" /> : <ErrorBanner error={list.error} />}
      {!list.loading && !list.error && !rows.length && <p class="muted">No numbers yet: buy or import one below.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="responsive">
            <TableHead columns={['Number', 'Provider', 'Bot', 'Routes', 'Routing']} />
            <tbody>
              {rows.map((n) => (
                <NumberRow key={n.number_id} n={n} bots={bots} onChanged={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
      <ErrorBanner error={list.moreError} />
    </section>
  );
}

function NumberRow({ n, bots, onChanged }: { n: PhoneNumber; bots: BotName[] | null; onChanged: () => void }) {
  const [botId, setBotId] = useState(n.bot_id ?? '');
  const [sms, setSms] = useState(n.capabilities.sms || !n.bot_id);
  const [voice, setVoice] = useState(n.capabilities.voice || (!n.bot_id && n.provider !== 'sandbox'));
  const assign = useAction(async () => {
    await post('/assign_phone_number', { phone_number: n.phone_number, bot_id: botId, sms, voice: n.provider === 'sandbox' ? false : voice });
    onChanged();
  });
  const detach = useAction(async () => {
    await post('/detach_twilio_number', { phone_number: n.phone_number });
    onChanged();
  });
  return (
    <tr>
      <td>
        <strong>{n.phone_number}</strong>
        <div class="muted">added {formatTime(n.created_at)}</div>
      </td>
      <td>
        {n.provider} · {n.source}
      </td>
      <td>{botLabel(bots, n.bot_id)}</td>
      <td>
        {n.bot_id && n.capabilities.sms && <span class="badge ok">SMS</span>} {n.bot_id && n.capabilities.voice && <span class="badge ok">Voice</span>}
        {(!n.bot_id || (!n.capabilities.sms && !n.capabilities.voice)) && <span class="badge">Not routed</span>}
      </td>
      <td>
        <form
          class="numbers-assign"
          aria-label={`Routing of ${n.phone_number}`}
          onSubmit={submitting(() => assign.run())}
        >
          <label class="field">
            <span class="label">Bot for {n.phone_number}</span>
            <select value={botId} required onChange={(e) => setBotId(e.currentTarget.value)}>
              <option value="">Choose a bot</option>
              {(bots ?? []).map((b) => (
                <option key={b.bot_id} value={b.bot_id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={sms} onChange={(e) => setSms(e.currentTarget.checked)} /> SMS
          </label>
          {n.provider !== 'sandbox' && (
            <label>
              <input type="checkbox" checked={voice} onChange={(e) => setVoice(e.currentTarget.checked)} /> Voice
            </label>
          )}
          <div class="actions">
            <button type="submit" disabled={assign.busy || !botId}>
              Assign
            </button>
            {n.bot_id && (
              <button type="button" disabled={detach.busy} onClick={() => void detach.run()}>
                Detach
              </button>
            )}
          </div>
          <ErrorBanner error={assign.error} />
          <ErrorBanner error={detach.error} />
        </form>
      </td>
    </tr>
  );
}

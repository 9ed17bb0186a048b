import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { botLabel, useBotNames, type BotName } from '../components/bot-select';
import { ConfirmButton } from '../components/confirm-button';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, Page, SecretOnce, submitting, TableHead, useAction, valueOf } from '../components/ui';

interface ApiKey {
  key_id: string;
  name: string;
  prefix: string;
  scope: 'admin' | 'conversation';
  bot_ids: string[] | null;
  allowed_origins: string[] | null;
  created_at: string;
  last_used_at: string | null;
}

/** API keys: list, create (the secret shown once), revoke. */
export default function KeysPage() {
  const list = usePagedList((cursor) => get<ApiPage<ApiKey>>('/list_api_keys', { limit: 50, cursor }), []);
  const keys = list.rows;
  const bots = useBotNames();
  const botName = (id: string) => botLabel(bots.data, id);
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const revoke = useAction(async (k: ApiKey) => {
    await post('/revoke_api_key', { key_id: k.key_id });
    setRevoked(`Key “${k.name}” (${k.prefix}…) is revoked: requests with it are refused from now on.`);
    if (created?.key_id === k.key_id) setCreated(null);
    list.reload();
  });

  return (
    <Page title="API keys">
      <CreateKey
        bots={bots.data ?? []}
        onCreated={(k) => {
          setCreated(k);
          setRevoked(null);
          list.reload();
        }}
      />
      {created && <SecretOnce label={`New ${created.scope} key “${created.name}”`} value={created.key} />}
      {revoked && (
        <p class="notice" role="status">
          {revoked}
        </p>
      )}
      <ErrorBanner error={revoke.error} />
      <h2>Live keys</h2>
      {list.loading && !keys.length ? <Loading /> : <ErrorBanner error={list.error} />}
      {!list.loading && !list.error && !keys.length && <p class="muted">No API keys yet (dashboard sessions are not listed).</p>}
      {keys.length > 0 && (
        <div class="table-wrap">
          <table class="responsive">
            <TableHead columns={['Name', 'Prefix', 'Scope', 'Bots and origins', 'Created', 'Last used', { hidden: 'Actions' }]} />
            <tbody>
              {keys.map((k) => (
                <tr key={k.key_id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <span class={`badge ${k.scope === 'admin' ? 'bad' : 'ok'}`}>{k.scope}</span>
                  </td>
                  <td class="muted">
                    {k.scope === 'admin' ? 'whole account' : k.bot_ids?.length ? k.bot_ids.map(botName).join(', ') : 'all bots'}
                    {k.allowed_origins?.length ? ` · ${k.allowed_origins.join(', ')}` : ''}
                  </td>
                  <td>{formatTime(k.created_at)}</td>
                  <td>{k.last_used_at ? formatTime(k.last_used_at) : 'never'}</td>
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      name={`Revoke ${k.name}`}
                      question={`Revoke “${k.name}”? Apps using it stop working at once.`}
                      confirmLabel="Yes, revoke"
                      busy={revoke.busy}
                      onConfirm={() => void revoke.run(k)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
      <ErrorBanner error={list.moreError} />
    </Page>
  );
}

function CreateKey({ bots, onCreated }: { bots: BotName[]; onCreated: (k: ApiKey & { key: string }) => void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'admin' | 'conversation'>('conversation');
  const [botIds, setBotIds] = useState<string[]>([]);
  const [origins, setOrigins] = useState('');
  const create = useAction(async () => {
    const allowed = origins
      .split('\n')
      .map((o) => o.trim())
      .filter(Boolean);
    const body = scope === 'conversation' ? { name, scope, ...(botIds.length ? { bot_ids: botIds } : {}), ...(allowed.length ? { allowed_origins: allowed } : {}) } : { name, scope };
    const k = await post<ApiKey & { key: string }>('/create_api_key', body);
    setName('');
    setBotIds([]);
    setOrigins('');
    onCreated(k);
  });
  return (
    <form
      class="card"
      aria-label="Create an API key"
      onSubmit={submitting(() => create.run())}
    >
      <h2>Create a key</h2>
      <div class="split">
        <div>
          <Field label="Key name">
            <input required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
          </Field>
          <fieldset class="field">
            <legend class="label">Scope</legend>
            <label class="check">
              <input type="radio" name="scope" checked={scope === 'conversation'} onChange={() => setScope('conversation')} /> Conversation — publishable: only the
              conversation endpoints of the bots you pick
            </label>
            <label class="check">
              <input type="radio" name="scope" checked={scope === 'admin'} onChange={() => setScope('admin')} /> Admin — everything in the account; keep it on a server
            </label>
          </fieldset>
        </div>
        {scope === 'conversation' && (
          <div>
            <fieldset class="field">
              <legend class="label">Bots this key may talk to</legend>
              {!bots.length && <span class="hint">No bots yet; with none picked the key reaches all bots.</span>}
              {bots.map((b) => (
                <label key={b.bot_id} class="check">
                  <input
                    type="checkbox"
                    checked={botIds.includes(b.bot_id)}
                    onChange={(e) => setBotIds(e.currentTarget.checked ? [...botIds, b.bot_id] : botIds.filter((x) => x !== b.bot_id))}
                  />{' '}
                  {b.name}
                </label>
              ))}
              {bots.length > 0 && <span class="hint">None picked: all bots.</span>}
            </fieldset>
            <Field label="Allowed web origins" hint="One per line, e.g. https://example.com. Empty: any origin.">
              <textarea rows={3} value={origins} onInput={(e) => setOrigins(valueOf(e))} />
            </Field>
          </div>
        )}
      </div>
      <button type="submit" class="primary" disabled={create.busy}>
        Create key
      </button>
      <ErrorBanner error={create.error} />
    </form>
  );
}

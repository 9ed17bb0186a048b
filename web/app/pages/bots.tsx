import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { useIdempotencyKey, withIdempotencyKey } from '../components/idempotency';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, Loading, MoreButton, Page, submitting, useAction, valueOf } from '../components/ui';
import { BASE, navigate } from '../router';

interface Bot {
  bot_id: string;
  name: string;
  handle: string | null;
  response_enabled: boolean;
  prompt_version: number;
}

/** The account's bots, and a form to create one. */
export default function BotsPage() {
  const list = usePagedList((cursor) => get<ApiPage<Bot>>('/get_bots', { limit: 50, cursor }), []);
  const pages = list.rows;
  const [name, setName] = useState('');
  const [handle, setHandle] = useState('');
  const idem = useIdempotencyKey();
  const create = useAction(async () => {
    const bot = await withIdempotencyKey(idem, (key) => post<Bot>('/create_bot', { name, ...(handle ? { handle } : {}) }, { idempotencyKey: key }));
    navigate(`/bots/${bot.bot_id}`);
  });

  return (
    <Page title="Bots">
      <form
        class="card inline"
        aria-label="Create a bot"
        onSubmit={submitting(() => create.run())}
      >
        <Field label="Bot name">
          <input name="name" required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Handle (optional)">
          <input name="handle" value={handle} onInput={(e) => setHandle(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={create.busy}>
          Create bot
        </button>
        <ErrorBanner error={create.error} />
      </form>
      {list.loading && !pages.length ? <Loading /> : <ErrorBanner error={list.error} />}
      {!list.loading && !list.error && !pages.length && <p class="muted">No bots yet: create your first one above.</p>}
      <ul class="cards">
        {pages.map((b) => (
          <li key={b.bot_id} class="card">
            <h2>
              <a href={`${BASE}/bots/${b.bot_id}`}>{b.name}</a>
            </h2>
            <p class="muted">
              {b.handle ? `@${b.handle} · ` : ''}
              {b.bot_id} · prompt v{b.prompt_version} · {b.response_enabled ? 'answering' : 'paused (human)'}
            </p>
            <p class="links">
              <a href={`${BASE}/bots/${b.bot_id}`}>Edit</a> <a href={`${BASE}/bots/${b.bot_id}/knowledge`}>Knowledge</a>{' '}
              <a href={`${BASE}/bots/${b.bot_id}/playground`}>Playground</a>
            </p>
          </li>
        ))}
      </ul>
      <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
      <ErrorBanner error={list.moreError} />
    </Page>
  );
}

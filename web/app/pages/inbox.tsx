import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../api';
import { botLabel, BotSelect, useBotNames } from '../components/bot-select';
import { usePagedList, type ApiPage } from '../components/paged-list';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, Page, valueOf } from '../components/ui';
import { ConversationView } from './inbox/conversation-view';
import type { ConversationSummary } from './inbox/messages';
import { UserProfile } from './inbox/user-profile';

interface Filters {
  search: string;
  bot_id: string;
  channel: string;
  since: string;
  until: string;
}
const EMPTY: Filters = { search: '', bot_id: '', channel: '', since: '', until: '' };

/** get_conversations takes ISO times; a date input gives a day (its start, in UTC). */
const isoDay = (d: string, end = false) => (d ? new Date(`${d}T00:00:00Z`).getTime() + (end ? 86_400_000 : 0) : null);

function query(f: Filters) {
  const since = isoDay(f.since);
  const until = isoDay(f.until, true);
  return {
    ...(f.search.trim() ? { search: f.search.trim() } : {}),
    ...(f.bot_id ? { bot_id: f.bot_id } : {}),
    ...(f.channel ? { channel: f.channel } : {}),
    ...(since !== null ? { since: new Date(since).toISOString() } : {}),
    ...(until !== null ? { until: new Date(until).toISOString() } : {}),
  };
}

/** Conversations across channels; open one to read it, take it over and look after its user. */
export default function InboxPage() {
  const bots = useBotNames();
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const list = usePagedList((cursor) => post<ApiPage<ConversationSummary>>('/get_conversations', { ...query(applied), limit: 30, ...(cursor ? { cursor } : {}) }), [applied]);
  const rows = list.rows;
  // The open conversation is kept on its own: a reload reads page 1 again, and one from a later page
  // ("Load more") must stay open. When the list has it, the list's copy is the fresher one.
  const [open, setOpen] = useState<ConversationSummary | null>(null);
  const openId = open?.conversation_id ?? null;
  useEffect(() => {
    const fresh = openId ? rows.find((r) => r.conversation_id === openId) : undefined;
    if (fresh) setOpen(fresh);
  }, [rows]);
  const detail = useRef<HTMLDivElement>(null);
  const choose = (c: ConversationSummary) => {
    setOpen(c);
    // Stacked (narrow screens): the conversation opens below the list, so bring it into view.
    if (matchMedia('(max-width: 899px)').matches) requestAnimationFrame(() => detail.current?.scrollIntoView({ block: 'start' }));
  };
  const set = (k: keyof Filters) => (e: Parameters<typeof valueOf>[0]) => setForm((f) => ({ ...f, [k]: valueOf(e) }));

  return (
    <Page title="Inbox">
      <form
        class="card inline"
        role="search"
        aria-label="Find conversations"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...form });
        }}
      >
        <Field label="Search conversations" hint="Message text or user id">
          <input type="search" value={form.search} maxLength={100} onInput={set('search')} />
        </Field>
        <BotSelect label="Bot" bots={bots.data} value={form.bot_id} anyLabel="All bots" onChange={(v) => setForm((f) => ({ ...f, bot_id: v }))} />
        <Field label="Channel">
          <select value={form.channel} onChange={set('channel')}>
            <option value="">All channels</option>
            <option value="api">API and widget</option>
            <option value="sms">SMS</option>
            <option value="voice">Voice</option>
          </select>
        </Field>
        <Field label="Active since">
          <input type="date" value={form.since} onInput={set('since')} />
        </Field>
        <Field label="Active until">
          <input type="date" value={form.until} onInput={set('until')} />
        </Field>
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <div class="inbox-layout">
        <section aria-labelledby="inbox-list-title" class="inbox-list">
          <h2 id="inbox-list-title">Conversations</h2>
          {list.loading && !rows.length ? <Loading what="Loading conversations" /> : <ErrorBanner error={list.error} />}
          {!list.loading && !list.error && !rows.length && <p class="muted">No conversations match.</p>}
          <ul class="inbox-items">
            {rows.map((c) => (
              <li key={c.conversation_id}>
                <button type="button" class={`inbox-item ${c.conversation_id === openId ? 'open' : ''}`} aria-current={c.conversation_id === openId ? 'true' : undefined} onClick={() => choose(c)}>
                  <span class="inbox-item-head">
                    <strong>{c.user_id}</strong> <span class="badge">{c.channel}</span>
                    {!c.bot_enabled && <span class="badge bad">Taken over</span>}
                    {c.unanswered_count > 0 && <span class="badge">{c.unanswered_count} unanswered</span>}
                  </span>
                  <span class="muted">
                    {botLabel(bots.data, c.bot_id)} · {formatTime(c.last_message_at ?? c.created_at)}
                  </span>
                  {c.last_message && <span class="inbox-snippet">{c.last_message.content}</span>}
                </button>
              </li>
            ))}
          </ul>
          <MoreButton hasMore={list.hasMore} onMore={() => void list.more()} busy={list.moreBusy} />
          <ErrorBanner error={list.moreError} />
        </section>
        {open ? (
          <div class="inbox-detail" ref={detail}>
            <ConversationView key={open.conversation_id} conversation={open} onChanged={list.reload} />
            <UserProfile
              key={`${open.bot_id}/${open.user_id}`}
              botId={open.bot_id}
              userId={open.user_id}
              version={open.last_message_at}
              onDeleted={() => {
                setOpen(null);
                list.reload();
              }}
            />
          </div>
        ) : (
          <p class="muted inbox-detail">Choose a conversation to read it.</p>
        )}
      </div>
    </Page>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../../api';
import { useIdempotencyKey, withIdempotencyKey } from '../../components/idempotency';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, submitting, Toggle, useAction, valueOf } from '../../components/ui';
import { loadMessages, messageNotes, ROLE_NAMES, type ChatMessage, type ConversationSummary, type Rating } from './messages';

/** One conversation: its messages, the takeover switch and the operator's reply box. */
export function ConversationView({ conversation: c, onChanged }: { conversation: ConversationSummary; onChanged: () => void }) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const load = useAction(async () => {
    const page = await loadMessages(c);
    setMessages(page.messages);
    setNext(page.next);
  });
  const older = useAction(async () => {
    const page = await loadMessages(c, next ?? undefined);
    setMessages((m) => [...page.messages, ...m]);
    setNext(page.next);
  });
  useEffect(() => {
    setMessages([]);
    void load.run();
  }, [c.conversation_id]);

  // Newest at the bottom, as chats read; keep it in view when messages arrive.
  const chat = useRef<HTMLOListElement>(null);
  const lastKey = messages.at(-1)?.messageId;
  useEffect(() => {
    if (chat.current) chat.current.scrollTop = chat.current.scrollHeight;
  }, [lastKey]);

  const [takenOver, setTakenOver] = useState(!c.bot_enabled);
  useEffect(() => setTakenOver(!c.bot_enabled), [c.conversation_id, c.bot_enabled]);
  const toggle = useAction(async (on: boolean) => {
    const res = await post<{ enabled: boolean }>('/toggle_bot_response', { bot_id: c.bot_id, conversation_id: c.conversation_id, enabled: !on });
    setTakenOver(!res.enabled);
    onChanged();
  });

  const [draft, setDraft] = useState('');
  const idem = useIdempotencyKey();
  const send = useAction(async () => {
    // SMS and calls need the words carried to the user; on the API/widget channel the fan reads the history.
    const deliver = c.channel === 'sms' || c.channel === 'voice';
    const res = await withIdempotencyKey(idem, (key) =>
      post<{ message_id: string; content: string; created_at: string; delivered: boolean }>(
        '/add_message_to_conversation',
        { conversation_id: c.conversation_id, role: 'operator', content: draft, ...(deliver ? { deliver: true } : {}) },
        { idempotencyKey: key },
      ),
    );
    setMessages((m) => [
      ...m,
      { messageId: res.message_id, role: 'operator', text: res.content, at: res.created_at, status: 'ok', source: 'operator', rating: null, undelivered: deliver && !res.delivered },
    ]);
    setDraft('');
    onChanged();
  });

  return (
    <section class="card inbox-conversation" aria-labelledby="conv-title">
      <div class="page-head">
        <h2 id="conv-title">
          {c.user_id} <span class="badge">{c.channel}</span>
        </h2>
        <div class="actions">
          <Toggle label="Take over" checked={takenOver} disabled={toggle.busy} onChange={(v) => void toggle.run(v)} />
          <button type="button" onClick={() => void load.run()} disabled={load.busy}>
            Refresh
          </button>
        </div>
      </div>
      <p class="muted" role="status">
        {takenOver ? 'You have taken over: the bot does not reply to this conversation.' : 'The bot is answering this conversation.'}
      </p>
      <ErrorBanner error={toggle.error} />
      <MoreButton hasMore={!!next} onMore={() => void older.run()} busy={older.busy} />
      <ErrorBanner error={older.error} />
      {load.busy && !messages.length ? <Loading what="Loading messages" /> : <ErrorBanner error={load.error} />}
      <ol ref={chat} class="chat inbox-chat" aria-label="Messages" tabIndex={0}>
        {messages.map((m) => (
          <MessageItem key={m.messageId} message={m} botId={c.bot_id} onEdited={(text) => setMessages((all) => all.map((x) => (x.messageId === m.messageId ? { ...x, text, corrected: true } : x)))} />
        ))}
        {!load.busy && !load.error && !messages.length && <li class="muted">No messages in this conversation yet.</li>}
      </ol>
      {takenOver ? (
        <form
          class="inbox-reply"
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) void send.run();
          }}
        >
          <Field label="Reply as operator" hint={c.channel === 'api' ? 'Stored in the conversation; the fan sees it as the bot\'s message.' : `Also sent to the user by ${c.channel === 'sms' ? 'SMS' : 'voice on the live call'}.`}>
            <textarea value={draft} required maxLength={4000} onInput={(e) => setDraft(valueOf(e))} />
          </Field>
          <button type="submit" class="primary" disabled={send.busy || !draft.trim()}>
            Send
          </button>
          <ErrorBanner error={send.error} />
        </form>
      ) : (
        <p class="muted">Take over to reply as the operator.</p>
      )}
    </section>
  );
}

/** A message; the bot's replies can be corrected in place (a curated answer) and rated. */
function MessageItem({ message: m, botId, onEdited }: { message: ChatMessage; botId: string; onEdited: (text: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(m.text);
  const [rating, setRating] = useState<Rating | null>(m.rating);
  // A refresh brings the stored rating (possibly given elsewhere, e.g. by the fan in the widget).
  useEffect(() => setRating(m.rating), [m.rating]);
  const save = useAction(async () => {
    const res = await post<{ response: string }>('/retrain_response', { bot_id: botId, message_id: m.messageId, response: text });
    onEdited(res.response);
    setEditing(false);
  });
  // feedback_api is a conversation endpoint that also takes the admin session: the creator's own rating.
  const rate = useAction(async (r: 'up' | 'down') => {
    const res = await post<{ rating: Rating }>('/feedback_api', { message_id: m.messageId, rating: r });
    setRating(res.rating);
  });
  const canCurate = m.role === 'assistant';
  const notes = messageNotes(m);
  return (
    <li class={`msg ${m.role}`}>
      <span class="inbox-who">
        <strong>{ROLE_NAMES[m.role]}</strong> · <time dateTime={m.at}>{formatTime(m.at)}</time>
        {notes.map((n) => (
          <span key={n} class="inbox-note">
            {' · '}
            {n}
          </span>
        ))}
        {m.corrected && <span class="badge ok">Corrected</span>}
      </span>
      {editing ? (
        <form
          onSubmit={submitting(() => save.run())}
        >
          <Field label="Corrected reply" hint="Saved as the bot's answer to the question before it, on every channel.">
            <textarea value={text} required maxLength={4000} onInput={(e) => setText(valueOf(e))} />
          </Field>
          <div class="actions">
            <button type="submit" class="primary" disabled={save.busy}>
              Save correction
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
          <ErrorBanner error={save.error} />
        </form>
      ) : (
        <span class="inbox-text">{m.text}</span>
      )}
      {canCurate && !editing && (
        <span class="actions inbox-msg-actions">
          <button type="button" class="link" onClick={() => (setText(m.text), setEditing(true))}>
            Correct
          </button>
          <button type="button" aria-label="Good reply" aria-pressed={rating === 'up'} disabled={rate.busy} onClick={() => void rate.run('up')}>
            Good
          </button>
          <button type="button" aria-label="Bad reply" aria-pressed={rating === 'down'} disabled={rate.busy} onClick={() => void rate.run('down')}>
            Bad
          </button>
        </span>
      )}
      <ErrorBanner error={rate.error} />
    </li>
  );
}

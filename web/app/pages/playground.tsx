import { useEffect, useRef, useState } from 'preact/hooks';
import { authHeaders, getSession, newIdempotencyKey, toApiError } from '../api';
import { Field, Page, submitting, valueOf } from '../components/ui';
import { BASE } from '../router';
import { followTurn } from '../../shared/sse';
import { AssistantTurn, type Turn } from './playground/turn';

const newUserId = () => `playground-${getSession()?.account_id ?? 'anon'}-${Math.random().toString(36).slice(2, 10)}`;
let keys = 0;

/**
 * Talk to the bot as a fan would: the real conversation_api, streamed, with the dashboard session as
 * Bearer (conversation endpoints take admin keys and sessions in the Authorization header, so no
 * api_key goes in the body). Each "new conversation" is a fresh end-user id.
 */
export default function PlaygroundPage({ params }: { params: Record<string, string> }) {
  const botId = params.id!;
  const [userId, setUserId] = useState(newUserId);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [opening, setOpening] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const log = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [turns]);

  const patchLast = (p: Partial<Turn>) => setTurns((ts) => ts.map((t, i) => (i === ts.length - 1 ? { ...t, ...p } : t)));

  const send = async () => {
    const text = message.trim();
    if (!text || busy) return;
    setBusy(true);
    setMessage('');
    setTurns((ts) => [...ts, { key: keys++, role: 'user', content: text }, { key: keys++, role: 'assistant', content: '', streaming: true }]);
    try {
      const res = await fetch('/conversation_api', {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json', 'idempotency-key': newIdempotencyKey() },
        body: JSON.stringify({ creator: botId, user_id: userId, message: text, stream: true }),
      });
      if (!res.ok) throw await toApiError(res);
      const done = await followTurn(res, {
        onStart: (d) => d.opening_message && setOpening(d.opening_message),
        onText: (t) => patchLast({ content: t }),
      });
      patchLast({
        streaming: false,
        ...(done.reply !== null && done.reply !== undefined ? { content: done.reply } : {}),
        sources: done.sources ?? [],
        note: done.takeover ? 'The bot is paused (human takeover): no reply.' : done.source && done.source !== 'model' ? `Reply source: ${done.source}` : undefined,
      });
    } catch (e) {
      patchLast({ streaming: false, error: e });
    } finally {
      setBusy(false);
      box.current?.focus();
    }
  };

  const restart = () => {
    setUserId(newUserId());
    setTurns([]);
    setOpening(null);
    box.current?.focus();
  };

  // What the model saw before a reply: the opening message, then the chat up to that reply's question.
  const historyBefore = (index: number) => {
    const before = turns.slice(0, index).filter((t) => t.content && !t.error && !t.streaming).map((t) => ({ role: t.role, content: t.content }));
    return opening ? [{ role: 'assistant' as const, content: opening }, ...before] : before;
  };

  return (
    <Page
      title="Playground"
      actions={
        <>
          <nav class="links" aria-label="This bot">
            <a href={`${BASE}/bots/${botId}`}>Bot settings</a>
            <a href={`${BASE}/bots/${botId}/knowledge`}>Knowledge</a>
          </nav>
          <button type="button" onClick={restart} disabled={busy}>
            New conversation
          </button>
        </>
      }
    >
      <p class="muted">
        Chatting as end user <code>{userId}</code>. Conversations here are real: they appear in the inbox.
      </p>
      <div class="chat playground-chat" role="log" aria-live="polite" aria-label="Conversation" ref={log} tabIndex={0}>
        {opening && (
          <div class="msg assistant">
            <span class="msg-text">{opening}</span>
          </div>
        )}
        {!opening && turns.length === 0 && <p class="muted">Say something to start a conversation.</p>}
        {turns.map((t, i) =>
          t.role === 'user' ? (
            <div key={t.key} class="msg user">
              <span class="msg-text">{t.content}</span>
            </div>
          ) : (
            <AssistantTurn key={t.key} turn={t} botId={botId} history={historyBefore(i)} />
          ),
        )}
      </div>
      <form
        class="playground-form"
        onSubmit={submitting(() => send())}
      >
        <Field label="Message" hint="Enter sends; Shift+Enter starts a new line.">
          <textarea
            ref={box}
            rows={2}
            maxLength={4000}
            value={message}
            onInput={(e) => setMessage(valueOf(e))}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                void send();
              }
            }}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy || !message.trim()}>
          {busy ? 'Replying…' : 'Send'}
        </button>
      </form>
    </Page>
  );
}

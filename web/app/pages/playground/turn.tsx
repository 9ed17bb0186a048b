import { useState } from 'preact/hooks';
import { post } from '../../api';
import { ErrorBanner, useAction } from '../../components/ui';

export interface Turn {
  key: number;
  role: 'user' | 'assistant';
  content: string;
  streaming?: boolean;
  error?: unknown;
  /** The done object's sources: knowledge the reply was given. */
  sources?: unknown[];
  note?: string;
}

interface SourceRef {
  source_id?: string;
  kind?: string;
  title?: string | null;
  filename?: string | null;
  url?: string | null;
}
interface AssembledPrompt {
  messages: Array<{ role: string; content: string }>;
  temperature: number;
  max_tokens: number;
}

/** One assistant reply, with the knowledge it used and (on demand) the prompt the model was given. */
export function AssistantTurn({ turn, botId, history }: { turn: Turn; botId: string; history: Array<{ role: 'user' | 'assistant'; content: string }> }) {
  const [showSources, setShowSources] = useState(false);
  const [prompt, setPrompt] = useState<AssembledPrompt | null>(null);
  const [showPrompt, setShowPrompt] = useState(false);
  const load = useAction(async () => {
    const res = await post<{ prompt: AssembledPrompt | null }>('/conversation_inference', { bot_id: botId, messages: history, debug: true });
    setPrompt(res.prompt);
  });
  const sources = (turn.sources ?? []) as SourceRef[];
  const id = `turn-${turn.key}`;
  return (
    <div class="msg assistant" aria-busy={turn.streaming ? 'true' : undefined}>
      <span class="msg-text">{turn.content || (turn.streaming ? '…' : '')}</span>
      {turn.note && <span class="msg-note muted">{turn.note}</span>}
      {turn.error ? <ErrorBanner error={turn.error} /> : null}
      {!turn.streaming && !turn.error && (
        <div class="msg-tools">
          <button type="button" class="link" aria-expanded={showSources} aria-controls={`${id}-sources`} onClick={() => setShowSources(!showSources)}>
            {showSources ? 'Hide sources' : 'Show sources'}
          </button>
          {history.length > 0 && (
            <button
              type="button"
              class="link"
              aria-expanded={showPrompt}
              aria-controls={`${id}-prompt`}
              disabled={load.busy}
              onClick={() => {
                setShowPrompt(!showPrompt);
                if (!prompt && !showPrompt) void load.run();
              }}
            >
              {showPrompt ? 'Hide prompt' : 'Show prompt'}
            </button>
          )}
        </div>
      )}
      {showSources && (
        <div id={`${id}-sources`} class="msg-extra">
          {sources.length === 0 ? (
            <p class="muted">No knowledge passages were used for this reply.</p>
          ) : (
            <ul>
              {sources.map((s, i) => (
                <li key={s.source_id ?? i}>
                  {s.filename ?? s.title ?? s.url ?? s.source_id} {s.kind && <span class="badge">{s.kind}</span>}
                  {s.url && s.url !== (s.filename ?? s.title) ? <span class="muted"> {s.url}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {showPrompt && (
        <div id={`${id}-prompt`} class="msg-extra" aria-label="Assembled prompt" role="region">
          {load.busy && <p class="muted">Assembling the prompt…</p>}
          <ErrorBanner error={load.error} />
          {prompt && (
            <>
              <p class="muted">
                Temperature {prompt.temperature} · at most {prompt.max_tokens} tokens · rebuilt now from the current settings
              </p>
              {prompt.messages.map((m, i) => (
                <div key={i} class="prompt-part">
                  <strong id={`${id}-part-${i}`}>{m.role}</strong>
                  {/* Focusable: a long part scrolls, and keyboard users must be able to scroll it. */}
                  <pre tabIndex={0} aria-labelledby={`${id}-part-${i}`}>
                    {m.content}
                  </pre>
                </div>
              ))}
            </>
          )}
          {!load.busy && !load.error && !prompt && <p class="muted">The server returned no prompt.</p>}
        </div>
      )}
    </div>
  );
}

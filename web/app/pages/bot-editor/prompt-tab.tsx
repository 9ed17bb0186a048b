import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, formatTime, Loading, MoreButton, submitting, useAction, useApi, valueOf } from '../../components/ui';
import { SaveStatus, useSave } from './shared';

interface PromptVersion {
  version: number;
  prompt: string;
  source: 'create' | 'edit' | 'restore';
  restored_from: number | null;
  actor: string | null;
  created_at: string;
  current: boolean;
}
type Versions = { data: PromptVersion[]; next_cursor: string | null };

/** The system prompt, saved as a new version each time; older versions can be made current again. */
export function PromptTab({ botId }: { botId: string }) {
  const current = useApi(() => get<{ prompt: string; version: number }>('/get_prompt', { bot_id: botId }), [botId]);
  const [text, setText] = useState('');
  const [version, setVersion] = useState<number | null>(null);
  useEffect(() => {
    if (current.data) {
      setText(current.data.prompt);
      setVersion(current.data.version);
    }
  }, [current.data]);

  const [versions, setVersions] = useState<PromptVersion[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const history = useApi(async () => {
    const res = await get<Versions>('/get_prompt_versions', { bot_id: botId, limit: 20 });
    setVersions(res.data);
    setCursor(res.next_cursor);
    return res;
  }, [botId]);
  const more = useAction(async () => {
    const res = await get<Versions>('/get_prompt_versions', { bot_id: botId, limit: 20, cursor: cursor ?? undefined });
    setVersions((v) => [...v, ...res.data]);
    setCursor(res.next_cursor);
  });

  const save = useSave(async () => {
    const res = await post<{ prompt: string; version: number }>('/edit_prompt', { bot_id: botId, prompt: text });
    setVersion(res.version);
    history.reload();
    return res;
  });
  const restore = useSave(async (version: number) => {
    const res = await post<{ prompt: string; version: number }>('/restore_prompt_version', { bot_id: botId, version });
    setText(res.prompt);
    setVersion(res.version);
    history.reload();
    return res;
  });

  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  return (
    <div>
      <form
        onSubmit={submitting(() => save.run())}
      >
        <Field label="Prompt" hint={`Currently version ${version ?? '?'}. Each save keeps a version you can restore.`}>
          <textarea rows={12} maxLength={32000} value={text} onInput={(e) => setText(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={save.busy}>
          Save prompt
        </button>
        <SaveStatus save={save} />
      </form>
      <h3 id="prompt-history">Version history</h3>
      {history.error ? <ErrorBanner error={history.error} /> : null}
      {restore.saved && <p class="notice">Restored: the older text is now the current prompt.</p>}
      <ErrorBanner error={restore.error} />
      <ol class="versions" aria-labelledby="prompt-history">
        {versions.map((v) => (
          <li key={v.version} class="version">
            <div class="version-head">
              <strong>Version {v.version}</strong> <span class="muted">{formatTime(v.created_at)}</span>{' '}
              <span class="badge">{v.source === 'restore' && v.restored_from ? `restored from v${v.restored_from}` : v.source}</span>{' '}
              {v.current ? (
                <span class="badge ok">current</span>
              ) : (
                <button type="button" disabled={restore.busy} aria-label={`Restore version ${v.version}`} onClick={() => void restore.run(v.version)}>
                  Restore
                </button>
              )}
            </div>
            <details>
              <summary>Text of version {v.version}</summary>
              <pre tabIndex={0}>{v.prompt || '(empty)'}</pre>
            </details>
          </li>
        ))}
      </ol>
      <MoreButton hasMore={!!cursor} onMore={() => void more.run()} busy={more.busy} />
      <ErrorBanner error={more.error} />
    </div>
  );
}

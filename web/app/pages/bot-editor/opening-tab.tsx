import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, Loading, submitting, useApi, valueOf } from '../../components/ui';
import { SaveStatus, useSave } from './shared';

/** The greeting a new conversation starts with. */
export function OpeningTab({ botId }: { botId: string }) {
  const current = useApi(() => get<{ opening_message: string }>('/get_opening_message', { bot_id: botId }), [botId]);
  const [text, setText] = useState('');
  useEffect(() => {
    if (current.data) setText(current.data.opening_message);
  }, [current.data]);
  const save = useSave(() => post('/edit_opening_message', { bot_id: botId, opening_message: text }));
  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  return (
    <form
      onSubmit={submitting(() => save.run())}
    >
      <Field label="Opening message" hint="Sent when a conversation starts. Leave empty for none.">
        <textarea rows={4} maxLength={2000} value={text} onInput={(e) => setText(valueOf(e))} />
      </Field>
      <button type="submit" class="primary" disabled={save.busy}>
        Save opening message
      </button>
      <SaveStatus save={save} />
    </form>
  );
}

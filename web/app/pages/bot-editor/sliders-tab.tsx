import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, Loading, submitting, useApi, valueOf } from '../../components/ui';
import { SaveStatus, useSave } from './shared';

const BUILTIN: Record<string, string> = {
  creativity: 'Creativity',
  length: 'Reply length',
  formality: 'Formality',
  humor: 'Humor',
  warmth: 'Warmth',
  emoji: 'Emoji',
  reply_delay: 'Reply delay (SMS)',
};

/** Behaviour sliders 0-100: the built-in ones and any custom traits the bot has. */
export function SlidersTab({ botId }: { botId: string }) {
  const current = useApi(() => get<{ values: Record<string, number> }>('/get_values', { bot_id: botId }), [botId]);
  const [values, setValues] = useState<Record<string, number>>({});
  const [newName, setNewName] = useState('');
  useEffect(() => {
    if (current.data) setValues(current.data.values);
  }, [current.data]);
  const save = useSave(async () => {
    const res = await post<{ values: Record<string, number> }>('/edit_values', { bot_id: botId, values });
    setValues(res.values);
    return res;
  });
  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  const names = [...Object.keys(BUILTIN).filter((n) => n in values), ...Object.keys(values).filter((n) => !(n in BUILTIN))];
  return (
    <form
      onSubmit={submitting(() => save.run())}
    >
      <div class="sliders">
        {names.map((name) => (
          <Field key={name} label={BUILTIN[name] ?? name} hint={BUILTIN[name] ? undefined : 'Custom trait'}>
            <span class="slider-row">
              <input
                type="range"
                min={0}
                max={100}
                step={1}
                value={values[name]}
                onInput={(e) => setValues({ ...values, [name]: Number(valueOf(e)) })}
              />
              <output aria-hidden="true">{values[name]}</output>
            </span>
          </Field>
        ))}
      </div>
      <div class="card inline">
        <Field label="New custom trait" hint="lower-case letters, digits and _">
          <input value={newName} onInput={(e) => setNewName(valueOf(e).trim())} />
        </Field>
        <button
          type="button"
          disabled={!newName || newName in values}
          onClick={() => {
            setValues({ ...values, [newName]: 50 });
            setNewName('');
          }}
        >
          Add trait
        </button>
      </div>
      <button type="submit" class="primary" disabled={save.busy}>
        Save sliders
      </button>
      <SaveStatus save={save} />
    </form>
  );
}

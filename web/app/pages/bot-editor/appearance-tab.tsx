import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, Loading, submitting, useApi, valueOf } from '../../components/ui';
import { mountWidgetPreview, type WidgetUi } from '../../../widget/preview';
import { SaveStatus, useSave } from './shared';


const COLORS: Array<[keyof WidgetUi, string]> = [
  ['primary_color', 'Primary color'],
  ['background_color', 'Background color'],
  ['text_color', 'Text color'],
];

/** <input type=color> only takes #rrggbb: expand #rgb, and fall back to black for a half-typed value. */
function sixDigit(hex: string): string {
  if (/^#[0-9a-f]{6}$/i.test(hex)) return hex.toLowerCase();
  const m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(hex);
  return m ? `#${m[1]}${m[1]}${m[2]}${m[2]}${m[3]}${m[3]}`.toLowerCase() : '#000000';
}

/** The chat widget's look, with a live preview that follows every keystroke before anything is saved. */
export function AppearanceTab({ botId }: { botId: string }) {
  const current = useApi(
    () => Promise.all([get<{ ui: WidgetUi }>('/get_ui', { bot_id: botId }), get<{ opening_message: string }>('/get_opening_message', { bot_id: botId })]),
    [botId],
  );
  const [ui, setUi] = useState<WidgetUi | null>(null);
  // What the server holds: the edit sends only the fields that differ from it.
  const [saved, setSaved] = useState<WidgetUi | null>(null);
  useEffect(() => {
    if (current.data) {
      setUi(current.data[0].ui);
      setSaved(current.data[0].ui);
    }
  }, [current.data]);

  const host = useRef<HTMLDivElement>(null);
  const preview = useRef<ReturnType<typeof mountWidgetPreview> | null>(null);
  const openingMessage = current.data?.[1].opening_message ?? '';
  useEffect(() => {
    if (!ui || !host.current) return;
    if (!preview.current) preview.current = mountWidgetPreview(host.current, { ui, openingMessage });
    else preview.current.update({ ui, openingMessage });
  }, [ui, openingMessage]);
  useEffect(
    () => () => {
      preview.current?.destroy();
      preview.current = null;
    },
    [],
  );

  // Only what changed goes to the server, so an untouched default stays a default.
  const save = useSave(async () => {
    const patch: Record<string, unknown> = {};
    for (const k of Object.keys(ui!) as Array<keyof WidgetUi>) if (ui![k] !== saved![k]) patch[k] = ui![k] === '' ? null : ui![k];
    const res = await post<{ ui: WidgetUi }>('/edit_ui', { bot_id: botId, ui: patch });
    setSaved(res.ui);
    setUi(res.ui);
    return res;
  });

  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  if (!ui) return null;
  const set = <K extends keyof WidgetUi>(k: K, v: WidgetUi[K]) => setUi({ ...ui, [k]: v });
  return (
    <div class="split appearance">
      <form
        noValidate
        onSubmit={submitting(() => save.run())}
      >
        <Field label="Title">
          <input maxLength={60} value={ui.title} onInput={(e) => set('title', valueOf(e))} />
        </Field>
        {COLORS.map(([k, label]) => (
          <fieldset key={k} class="color-field">
            <legend>{label}</legend>
            <input type="color" aria-label={`${label} picker`} value={sixDigit(String(ui[k]))} onInput={(e) => set(k, valueOf(e))} />
            <input aria-label={`${label} hex`} value={String(ui[k])} onInput={(e) => set(k, valueOf(e))} />
          </fieldset>
        ))}
        <Field label="Avatar URL" hint="https only; empty for none">
          <input inputMode="url" value={ui.avatar_url ?? ''} onInput={(e) => set('avatar_url', valueOf(e) || null)} />
        </Field>
        <Field label="Position">
          <select value={ui.position} onChange={(e) => set('position', valueOf(e) as WidgetUi['position'])}>
            <option value="bottom-right">Bottom right</option>
            <option value="bottom-left">Bottom left</option>
          </select>
        </Field>
        <Field label="Launcher text">
          <input maxLength={40} value={ui.launcher_text} onInput={(e) => set('launcher_text', valueOf(e))} />
        </Field>
        <Field label="Theme">
          <select value={ui.theme} onChange={(e) => set('theme', valueOf(e) as WidgetUi['theme'])}>
            <option value="auto">Auto (follows the visitor's system)</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </Field>
        <button type="submit" class="primary" disabled={save.busy}>
          Save appearance
        </button>
        <SaveStatus save={save} />
      </form>
      <section aria-labelledby="preview-heading">
        <h3 id="preview-heading">Preview</h3>
        <div ref={host} class="widget-preview" />
      </section>
    </div>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, Loading, submitting, useApi, valueOf } from '../../components/ui';
import { SaveStatus, useSave } from './shared';

interface Voice {
  provider: 'sinch' | 'twilio' | null;
  region: string;
  locale: string;
  voice: string | null;
  barge_in: boolean;
  silence_timeout_seconds: number;
  max_duration_seconds: number;
  record: boolean;
  amd: boolean;
  voicemail_message: string;
  reprompt_message: string;
  max_reprompts: number;
  goodbye_message: string;
}

const REGIONS = ['global', 'use1', 'euc1', 'sae1', 'apse1', 'apse2'];
const NUMBERS: Array<[keyof Voice, string, string]> = [
  ['silence_timeout_seconds', 'Silence timeout (seconds)', '1–30: silence that ends the caller\'s turn'],
  ['max_duration_seconds', 'Longest call (seconds)', '60–14400'],
  ['max_reprompts', 'Re-prompts before hanging up', '0–5'],
];
const MESSAGES: Array<[keyof Voice, string, string?]> = [
  ['voicemail_message', 'Voicemail message', '{{bot_name}} becomes the bot\'s name'],
  ['reprompt_message', 'Re-prompt message', 'Said when the caller is silent'],
  ['goodbye_message', 'Goodbye message'],
];
const SWITCHES: Array<[keyof Voice, string]> = [
  ['barge_in', 'Let the caller interrupt the bot'],
  ['record', 'Record calls'],
  ['amd', 'Answering-machine detection on outbound calls'],
];

/**
 * Phone-call settings. Numbers are sent as typed (NaN as text) so the server's validation, not the
 * browser's, decides and words what is wrong.
 */
export function VoiceTab({ botId }: { botId: string }) {
  const current = useApi(() => get<{ voice: Voice }>('/get_voice_settings', { bot_id: botId }), [botId]);
  const [form, setForm] = useState<Record<string, string | boolean>>({});
  useEffect(() => {
    if (!current.data) return;
    const v = current.data.voice;
    setForm(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'boolean' ? x : x === null ? '' : String(x)])));
  }, [current.data]);
  const save = useSave(() => {
    const saved = current.data!.voice as unknown as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const [k, raw] of Object.entries(form)) {
      const value = typeof raw === 'boolean' ? raw : NUMBERS.some(([n]) => n === k) ? (raw.trim() === '' ? null : Number.isFinite(Number(raw)) ? Number(raw) : raw) : raw.trim() === '' ? null : raw;
      if (value !== saved[k]) patch[k] = value;
    }
    return post<{ voice: Voice }>('/edit_voice_settings', { bot_id: botId, voice: patch }).then((res) => {
      current.data!.voice = res.voice;
      return res;
    });
  });
  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  const text = (k: string) => String(form[k] ?? '');
  const set = (k: string, v: string | boolean) => setForm({ ...form, [k]: v });
  return (
    <form
      noValidate
      onSubmit={submitting(() => save.run())}
    >
      <div class="split">
        <div>
          <Field label="Provider" hint="Who places outbound calls">
            <select value={text('provider')} onChange={(e) => set('provider', valueOf(e))}>
              <option value="">The provider of the bot's number</option>
              <option value="sinch">Sinch</option>
              <option value="twilio">Twilio</option>
            </select>
          </Field>
          <Field label="Region" hint="Sinch Voice region of outbound calls">
            <select value={text('region')} onChange={(e) => set('region', valueOf(e))}>
              {REGIONS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Locale" hint="language-REGION, e.g. en-US">
            <input value={text('locale')} onInput={(e) => set('locale', valueOf(e))} />
          </Field>
          <Field label="Voice" hint="e.g. Polly.Joanna; empty: the provider's default">
            <input value={text('voice')} onInput={(e) => set('voice', valueOf(e))} />
          </Field>
          {NUMBERS.map(([k, label, hint]) => (
            <Field key={k} label={label} hint={hint}>
              <input inputMode="numeric" value={text(k)} onInput={(e) => set(k, valueOf(e))} />
            </Field>
          ))}
        </div>
        <div>
          {MESSAGES.map(([k, label, hint]) => (
            <Field key={k} label={label} hint={hint}>
              <textarea rows={2} value={text(k)} onInput={(e) => set(k, valueOf(e))} />
            </Field>
          ))}
          {SWITCHES.map(([k, label]) => (
            <label key={k} class="check">
              <input type="checkbox" checked={form[k] === true} onChange={(e) => set(k, e.currentTarget.checked)} /> {label}
            </label>
          ))}
        </div>
      </div>
      <button type="submit" class="primary" disabled={save.busy}>
        Save voice settings
      </button>
      <SaveStatus save={save} />
    </form>
  );
}

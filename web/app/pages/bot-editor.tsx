import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { ErrorBanner, Field, Loading, Page, submitting, Toggle, useAction, useApi, valueOf } from '../components/ui';
import { BASE } from '../router';
import { AppearanceTab } from './bot-editor/appearance-tab';
import { ContactTab } from './bot-editor/contact-tab';
import { OpeningTab } from './bot-editor/opening-tab';
import { PolicyTab } from './bot-editor/policy-tab';
import { PromptTab } from './bot-editor/prompt-tab';
import { SaveStatus, useSave, type Bot } from './bot-editor/shared';
import { SlidersTab } from './bot-editor/sliders-tab';
import { Tabs } from './bot-editor/tabs';
import { VoiceTab } from './bot-editor/voice-tab';

const TABS: Array<[string, string]> = [
  ['prompt', 'Prompt'],
  ['opening', 'Opening message'],
  ['sliders', 'Sliders'],
  ['appearance', 'Appearance'],
  ['contact', 'Calendar & transfer'],
  ['voice', 'Voice'],
  ['policy', 'Policy'],
];

/** One bot: its name and on/off switch, and a tab per group of settings. */
export default function BotEditorPage({ params }: { params: Record<string, string> }) {
  const botId = params.id!;
  const loaded = useApi(() => get<Bot>('/get_bot', { bot_id: botId }), [botId]);
  const [bot, setBot] = useState<Bot | null>(null);
  const [name, setName] = useState('');
  const [tab, setTab] = useState(() => (location.hash.slice(1) && TABS.some(([k]) => k === location.hash.slice(1)) ? location.hash.slice(1) : 'prompt'));
  useEffect(() => {
    if (!loaded.data) return;
    setBot(loaded.data);
    setName(loaded.data.name);
  }, [loaded.data]);

  const rename = useSave(async () => {
    const res = await post<Bot>('/set_bot_name', { bot_id: botId, name });
    setBot(res);
    return res;
  });
  const toggle = useAction(async (enabled: boolean) => {
    const res = await post<{ enabled: boolean; resume_at: string | null }>('/toggle_bot_response', { bot_id: botId, enabled });
    setBot((b) => b && { ...b, response_enabled: res.enabled, response_resume_at: res.resume_at });
  });

  if (loaded.loading && !bot) return <Loading what="Loading the bot" />;
  if (loaded.error || !bot) return <ErrorBanner error={loaded.error} />;
  return (
    <Page
      title={bot.name}
      actions={
        <nav class="links" aria-label="This bot">
          <a href={`${BASE}/bots/${botId}/knowledge`}>Knowledge</a>
          <a href={`${BASE}/bots/${botId}/playground`}>Playground</a>
        </nav>
      }
    >
      <div class="card bot-head">
        <form
          class="inline-form"
          onSubmit={submitting(() => rename.run())}
        >
          <Field label="Bot name">
            <input required maxLength={100} value={name} onInput={(e) => setName(valueOf(e))} />
          </Field>
          <button type="submit" disabled={rename.busy || name === bot.name}>
            Rename
          </button>
        </form>
        <SaveStatus save={rename} />
        <p class="muted">
          {bot.handle ? (
            <>
              Handle <code>@{bot.handle}</code> ·{' '}
            </>
          ) : null}
          Id <code>{bot.bot_id}</code>
        </p>
        <Toggle label={bot.response_enabled ? 'Bot replies: on' : 'Bot replies: off (human takeover)'} checked={bot.response_enabled} disabled={toggle.busy} onChange={(v) => void toggle.run(v)} />
        <ErrorBanner error={toggle.error} />
      </div>
      <Tabs
        id="bot"
        tabs={TABS}
        active={tab}
        onChange={(k) => {
          setTab(k);
          history.replaceState(null, '', `#${k}`);
        }}
      >
        {tab === 'prompt' && <PromptTab botId={botId} />}
        {tab === 'opening' && <OpeningTab botId={botId} />}
        {tab === 'sliders' && <SlidersTab botId={botId} />}
        {tab === 'appearance' && <AppearanceTab botId={botId} />}
        {tab === 'contact' && <ContactTab bot={bot} onSaved={(patch) => setBot((b) => b && { ...b, ...patch })} />}
        {tab === 'voice' && <VoiceTab botId={botId} />}
        {tab === 'policy' && <PolicyTab botId={botId} />}
      </Tabs>
    </Page>
  );
}

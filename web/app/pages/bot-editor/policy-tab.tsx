import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, Loading, submitting, useApi, valueOf } from '../../components/ui';
import { SaveStatus, useSave } from './shared';

interface Policy {
  age_gate: boolean;
  age_confirmation_message: string;
  blocked_topics: string[];
  blocked_topic_reply: string;
  ai_disclosure: string | null;
  ai_disclosure_channels: string[];
  help_text: string;
}
const CHANNELS = ['api', 'sms', 'voice'];

/** Age gate, blocked topics, AI disclosure and the SMS help text. */
export function PolicyTab({ botId }: { botId: string }) {
  const current = useApi(() => get<{ policy: Policy }>('/get_policy', { bot_id: botId }), [botId]);
  const [p, setP] = useState<Policy | null>(null);
  const [topics, setTopics] = useState('');
  useEffect(() => {
    if (!current.data) return;
    setP(current.data.policy);
    setTopics(current.data.policy.blocked_topics.join('\n'));
  }, [current.data]);
  const save = useSave(async () => {
    const res = await post<{ policy: Policy }>('/edit_policy', {
      bot_id: botId,
      policy: {
        ...p!,
        ai_disclosure: p!.ai_disclosure?.trim() || null,
        blocked_topics: topics
          .split('\n')
          .map((t) => t.trim())
          .filter(Boolean),
      },
    });
    setP(res.policy);
    return res;
  });
  if (current.loading && !current.data) return <Loading />;
  if (current.error) return <ErrorBanner error={current.error} />;
  if (!p) return null;
  return (
    <form
      onSubmit={submitting(() => save.run())}
    >
      <label class="check">
        <input type="checkbox" checked={p.age_gate} onChange={(e) => setP({ ...p, age_gate: e.currentTarget.checked })} /> Age gate: users confirm they are 18 or older first
      </label>
      <Field label="Age confirmation message">
        <textarea rows={2} value={p.age_confirmation_message} onInput={(e) => setP({ ...p, age_confirmation_message: valueOf(e) })} />
      </Field>
      <Field label="Blocked topics" hint="One word or phrase per line">
        <textarea rows={4} value={topics} onInput={(e) => setTopics(valueOf(e))} />
      </Field>
      <Field label="Reply to a blocked topic">
        <textarea rows={2} value={p.blocked_topic_reply} onInput={(e) => setP({ ...p, blocked_topic_reply: valueOf(e) })} />
      </Field>
      <Field label="AI disclosure" hint="Sent when a conversation starts; empty turns it off">
        <input value={p.ai_disclosure ?? ''} onInput={(e) => setP({ ...p, ai_disclosure: valueOf(e) })} />
      </Field>
      <fieldset>
        <legend>Disclose on these channels</legend>
        {CHANNELS.map((c) => (
          <label key={c} class="check">
            <input
              type="checkbox"
              checked={p.ai_disclosure_channels.includes(c)}
              onChange={(e) =>
                setP({ ...p, ai_disclosure_channels: e.currentTarget.checked ? [...p.ai_disclosure_channels, c] : p.ai_disclosure_channels.filter((x) => x !== c) })
              }
            />{' '}
            {c.toUpperCase()}
          </label>
        ))}
      </fieldset>
      <Field label="SMS help text" hint="The answer to HELP/INFO; name the sender and say how to opt out (STOP)">
        <textarea rows={2} value={p.help_text} onInput={(e) => setP({ ...p, help_text: valueOf(e) })} />
      </Field>
      <button type="submit" class="primary" disabled={save.busy}>
        Save policy
      </button>
      <SaveStatus save={save} />
    </form>
  );
}

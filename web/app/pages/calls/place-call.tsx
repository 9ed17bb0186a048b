import { useState } from 'preact/hooks';
import { get, post } from '../../api';
import { BotSelect, type BotName } from '../../components/bot-select';
import { useIdempotencyKey, withIdempotencyKey } from '../../components/idempotency';
import { ErrorBanner, Field, Loading, submitting, useAction, useApi, valueOf } from '../../components/ui';

/**
 * A test call runs through `sinth call-sim`, which signs provider callbacks with the provider's secret:
 * a secret the browser must never hold. So the dashboard shows the command to run next to the server.
 */
export function TestCallCommand({ botId }: { botId: string }) {
  // The simulator calls the bot's voice number over one provider: the bot's voice provider when set,
  // else the provider of the number routed to it.
  const info = useApi(async () => {
    if (!botId) return null;
    const [settings, numbers] = await Promise.all([
      get<{ voice: { provider: 'sinch' | 'twilio' | null } }>('/get_voice_settings', { bot_id: botId }),
      get<{ data: Array<{ phone_number: string; provider: string; capabilities: { voice: boolean } }> }>('/get_phone_numbers', { bot_id: botId, limit: 200 }),
    ]);
    const voiceNumbers = numbers.data.filter((n) => n.capabilities.voice && (n.provider === 'twilio' || n.provider === 'sinch'));
    const provider = settings.voice.provider ?? voiceNumbers[0]?.provider ?? null;
    return { provider, number: voiceNumbers.find((n) => n.provider === provider)?.phone_number ?? null };
  }, [botId]);
  const [copied, setCopied] = useState(false);
  if (!botId) return <p class="muted">Choose a bot to get its test-call command.</p>;
  if (info.loading && !info.data) return <Loading what="Looking up the bot's voice number" />;
  if (info.error) return <ErrorBanner error={info.error} />;
  const provider = info.data?.provider;
  const command = `npx sinth call-sim --bot ${botId}${provider ? ` --provider ${provider}` : ''}`;
  return (
    <div>
      <div class="cmd" role="group" aria-label="Test call command">
        <code>{command}</code>
        <button
          type="button"
          onClick={() => navigator.clipboard?.writeText(command).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p class="hint">
        {info.data?.number ? `It calls ${info.data.number}. ` : 'This bot has no voice number yet: assign one on the Numbers page first. '}
        Run it where the server's provider secrets are set (the simulator signs the provider's callbacks with them), with SINTH_API_KEY set to an
        admin key. Type what the caller says; the call then shows in the list below.
      </p>
    </div>
  );
}

/** A real outbound call (make_call): the bot's voice number is the caller id. */
export function PlaceCall({ bots, botId, setBotId, onPlaced }: { bots: BotName[] | null; botId: string; setBotId: (v: string) => void; onPlaced: (callId: string) => void }) {
  const [to, setTo] = useState('');
  const [purpose, setPurpose] = useState('');
  const idem = useIdempotencyKey();
  const place = useAction(async () => {
    const body = { bot_id: botId, to: to.trim(), ...(purpose.trim() ? { purpose: purpose.trim() } : {}) };
    const call = await withIdempotencyKey(idem, (key) => post<{ call_id: string }>('/make_call', body, { idempotencyKey: key }));
    setTo('');
    setPurpose('');
    onPlaced(call.call_id);
  });
  return (
    <form
      aria-label="Place a call"
      onSubmit={submitting(() => place.run())}
    >
      <BotSelect label="Bot to call with" bots={bots} value={botId} onChange={setBotId} anyLabel="Choose a bot" required />
      <TestCallCommand botId={botId} />
      <h3>Place a call</h3>
      <Field label="Call to" hint="An E.164 number (+14155550123) or a user id">
        <input value={to} required maxLength={128} onInput={(e) => setTo(valueOf(e))} />
      </Field>
      <Field label="Purpose (optional)" hint="Why the bot calls: context it is given">
        <input value={purpose} maxLength={1000} onInput={(e) => setPurpose(valueOf(e))} />
      </Field>
      <button type="submit" class="primary" disabled={place.busy || !botId}>
        {place.busy ? 'Calling…' : 'Place call'}
      </button>
      {place.busy && <p role="status">Placing the call…</p>}
      <ErrorBanner error={place.error} />
    </form>
  );
}

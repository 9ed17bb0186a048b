import { useState } from 'preact/hooks';
import { get, post } from '../../api';
import { BotSelect, type BotName } from '../../components/bot-select';
import { useIdempotencyKey, withIdempotencyKey } from '../../components/idempotency';
import { ErrorBanner, Field, submitting, TableHead, useAction, valueOf } from '../../components/ui';

interface Available {
  phone_number: string;
  friendly_name: string;
  country: string;
  locality: string | null;
  region: string | null;
  capabilities: { sms: boolean; voice: boolean; mms: boolean };
}

/** Search Twilio's numbers for sale and buy one (optionally routed to a bot at once). */
export function BuyNumber({ bots, onBought }: { bots: BotName[] | null; onBought: (phone: string) => void }) {
  const [country, setCountry] = useState('US');
  const [type, setType] = useState('local');
  const [areaCode, setAreaCode] = useState('');
  const [contains, setContains] = useState('');
  const [botId, setBotId] = useState('');
  const [offers, setOffers] = useState<Available[] | null>(null);
  // A double click or a retry after a timeout buys a number once (the key is per attempt and number).
  const idem = useIdempotencyKey();
  const [bought, setBought] = useState<string | null>(null);
  const search = useAction(async () => {
    setBought(null);
    const res = await get<{ data: Available[] }>('/search_for_twilio_number', {
      country: country.trim(),
      type,
      ...(areaCode.trim() ? { area_code: areaCode.trim() } : {}),
      ...(contains.trim() ? { contains: contains.trim() } : {}),
      limit: 20,
    });
    setOffers(res.data);
  });
  const buy = useAction(async (phone: string) => {
    const body = { phone_number: phone, ...(botId ? { bot_id: botId } : {}) };
    await withIdempotencyKey(idem, (key) => post('/purchase_twilio_number', body, { idempotencyKey: `${key}:${phone}` }));
    setOffers((o) => o?.filter((x) => x.phone_number !== phone) ?? null);
    setBought(phone);
    onBought(phone);
  });
  return (
    <section class="card" aria-labelledby="buy-title">
      <h2 id="buy-title">Buy a number</h2>
      <form
        class="card inline"
        aria-label="Search numbers for sale"
        onSubmit={submitting(() => search.run())}
      >
        <Field label="Country" hint="Two letters, e.g. US">
          <input value={country} required pattern="[A-Za-z]{2}" maxLength={2} onInput={(e) => setCountry(valueOf(e))} />
        </Field>
        <Field label="Type">
          <select value={type} onChange={(e) => setType(valueOf(e))}>
            <option value="local">Local</option>
            <option value="toll_free">Toll free</option>
            <option value="mobile">Mobile</option>
          </select>
        </Field>
        <Field label="Area code (optional)" hint="US and Canada">
          <input value={areaCode} inputMode="numeric" pattern="\d{3}" maxLength={3} onInput={(e) => setAreaCode(valueOf(e))} />
        </Field>
        <Field label="Contains (optional)">
          <input value={contains} maxLength={16} onInput={(e) => setContains(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={search.busy}>
          {search.busy ? 'Searching…' : 'Search numbers'}
        </button>
      </form>
      <ErrorBanner error={search.error} />
      {offers && (
        <>
          <BotSelect label="Route a bought number to" bots={bots} value={botId} anyLabel="No bot yet" onChange={setBotId} />
          {offers.length === 0 ? (
            <p class="muted" role="status">No numbers for sale match.</p>
          ) : (
            <div class="table-wrap">
              <table class="responsive">
                <TableHead columns={['Number', 'Where', 'Can', 'Buy']} />
                <tbody>
                  {offers.map((o) => (
                    <tr key={o.phone_number}>
                      <td>{o.phone_number}</td>
                      <td>{[o.locality, o.region, o.country].filter(Boolean).join(', ')}</td>
                      <td>{(['sms', 'voice', 'mms'] as const).filter((c) => o.capabilities[c]).join(', ').toUpperCase() || '—'}</td>
                      <td>
                        <button type="button" aria-label={`Buy ${o.phone_number}`} disabled={buy.busy} onClick={() => void buy.run(o.phone_number)}>
                          Buy
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {buy.busy && <p role="status">Buying the number…</p>}
      {bought && (
        <p class="notice" role="status">
          Bought {bought}.
        </p>
      )}
      <ErrorBanner error={buy.error} />
    </section>
  );
}

/** Bring a number from the creator's own Twilio account. */
export function ImportNumber({ onImported }: { onImported: (phone: string) => void }) {
  const [phone, setPhone] = useState('');
  const [sid, setSid] = useState('');
  const [token, setToken] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const run = useAction(async () => {
    setDone(null);
    const res = await post<{ phone_number: string }>('/import_twilio_number', { phone_number: phone.trim(), account_sid: sid.trim(), auth_token: token });
    setToken('');
    setDone(res.phone_number);
    onImported(res.phone_number);
  });
  return (
    <section class="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a Twilio number</h2>
      <form
        class="card inline"
        aria-label="Import a Twilio number"
        onSubmit={submitting(() => run.run())}
      >
        <Field label="Phone number" hint="E.164, e.g. +14155550123">
          <input value={phone} required type="tel" onInput={(e) => setPhone(valueOf(e))} />
        </Field>
        <Field label="Twilio account SID">
          <input value={sid} required autocomplete="off" onInput={(e) => setSid(valueOf(e))} />
        </Field>
        <Field label="Twilio auth token" hint="Stored encrypted, never shown again">
          <input value={token} required type="password" autocomplete="off" onInput={(e) => setToken(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={run.busy}>
          {run.busy ? 'Importing…' : 'Import number'}
        </button>
      </form>
      <ErrorBanner error={run.error} />
      {done && (
        <p class="notice" role="status">
          Imported {done}.
        </p>
      )}
    </section>
  );
}

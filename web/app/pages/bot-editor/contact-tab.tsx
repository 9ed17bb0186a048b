import { useState } from 'preact/hooks';
import { post } from '../../api';
import { Field, submitting, valueOf } from '../../components/ui';
import { SaveStatus, useSave, type Bot } from './shared';

/** Where the bot sends people: a booking link, and the number calls are transferred to. */
export function ContactTab({ bot, onSaved }: { bot: Bot; onSaved: (patch: Partial<Bot>) => void }) {
  const [link, setLink] = useState(bot.calendar_link ?? '');
  const [number, setNumber] = useState(bot.transfer_number ?? '');
  const saveLink = useSave(async () => {
    const res = await post<{ calendar_link: string | null }>('/set_calendar_link', { bot_id: bot.bot_id, url: link.trim() || null });
    onSaved({ calendar_link: res.calendar_link });
    return res;
  });
  const saveNumber = useSave(async () => {
    const res = await post<{ transfer_number: string | null }>('/set_transfer_number', { bot_id: bot.bot_id, number: number.trim() || null });
    onSaved({ transfer_number: res.transfer_number });
    setNumber(res.transfer_number ?? '');
    return res;
  });
  return (
    <div class="split">
      <form
        class="card"
        onSubmit={submitting(() => saveLink.run())}
      >
        <Field label="Calendar link" hint="An https booking link the bot offers; empty removes it.">
          <input inputMode="url" value={link} onInput={(e) => setLink(valueOf(e))} placeholder="https://" />
        </Field>
        <button type="submit" class="primary" disabled={saveLink.busy}>
          Save calendar link
        </button>
        <SaveStatus save={saveLink} />
      </form>
      <form
        class="card"
        onSubmit={submitting(() => saveNumber.run())}
      >
        <Field label="Transfer number" hint="E.164, e.g. +14155550123; calls go here when the caller asks for a person. Empty removes it.">
          <input type="tel" value={number} onInput={(e) => setNumber(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={saveNumber.busy}>
          Save transfer number
        </button>
        <SaveStatus save={saveNumber} />
      </form>
    </div>
  );
}

import { get } from '../api';
import { Field, useApi, valueOf } from './ui';

/** The account's bots, by name, for the pages that filter, route or pick by bot. */
export interface BotName {
  bot_id: string;
  name: string;
}

export function useBotNames() {
  return useApi(async () => {
    const out: BotName[] = [];
    let cursor: string | undefined;
    // A creator has a handful of bots; follow the pages so a select never silently misses one.
    for (let i = 0; i < 10; i++) {
      const res = await get<{ data: BotName[]; next_cursor: string | null }>('/get_bots_with_names', { limit: 200, cursor });
      out.push(...res.data);
      if (!res.next_cursor) break;
      cursor = res.next_cursor;
    }
    return out;
  }, []);
}

export function botLabel(bots: BotName[] | null, id: string | null): string {
  if (!id) return '—';
  return bots?.find((b) => b.bot_id === id)?.name ?? id;
}

/** A labelled bot select; `anyLabel` adds an empty choice ("All bots", "No bot"). */
export function BotSelect({ label, bots, value, onChange, anyLabel, required }: {
  label: string;
  bots: BotName[] | null;
  value: string;
  onChange: (v: string) => void;
  anyLabel?: string;
  required?: boolean;
}) {
  return (
    <Field label={label}>
      <select value={value} required={required} onChange={(e) => onChange(valueOf(e))}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {(bots ?? []).map((b) => (
          <option key={b.bot_id} value={b.bot_id}>
            {b.name}
          </option>
        ))}
      </select>
    </Field>
  );
}

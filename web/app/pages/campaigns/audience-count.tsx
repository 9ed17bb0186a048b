import { useEffect, useState } from 'preact/hooks';
import { post } from '../../api';
import { ErrorBanner } from '../../components/ui';

/** What send_bulk_messages and preview_bulk_audience take as `audience`. */
export type Audience = { all: true } | { tags: string[] } | { user_ids: string[] };

export interface AudiencePreview {
  bot_id: string;
  matched: number;
  reachable: number;
  skipped: { no_phone: number; blocked: number; opted_out: number; suppressed: number; age_gate: number };
  unmatched_user_ids: number;
}

const DEBOUNCE_MS = 300;

const REASONS: Array<[keyof AudiencePreview['skipped'], string]> = [
  ['opted_out', 'opted out'],
  ['blocked', 'blocked'],
  ['suppressed', 'suppressed'],
  ['no_phone', 'without a phone number'],
  ['age_gate', 'not age-verified'],
];

interface State {
  data: AudiencePreview | null;
  error: unknown;
  loading: boolean;
}

/**
 * preview_bulk_audience for the audience being composed, asked again (after a pause in typing) whenever
 * the bot or the audience changes. `audience` null means there is nothing to count yet (an empty list).
 */
export function useAudiencePreview(botId: string, audience: Audience | null): State {
  const [state, setState] = useState<State>({ data: null, error: null, loading: false });
  const key = audience && JSON.stringify(audience);
  useEffect(() => {
    if (!botId || !audience) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    // An answer for an audience that has since changed must not overwrite the newer one.
    let live = true;
    setState({ data: null, error: null, loading: true });
    const t = setTimeout(() => {
      post<AudiencePreview>('/preview_bulk_audience', { bot_id: botId, audience }).then(
        (data) => live && setState({ data, error: null, loading: false }),
        (error) => live && setState({ data: null, error, loading: false }),
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [botId, key]);
  return state;
}

export function countText(p: AudiencePreview): string {
  const n = p.unmatched_user_ids;
  const unmatched = n ? ` ${n === 1 ? '1 user id matches' : `${n} user ids match`} nobody.` : '';
  if (!p.matched) return `Nobody is in this audience: no end user of the bot matches it.${unmatched}`;
  const reasons = REASONS.filter(([k]) => p.skipped[k] > 0).map(([k, words]) => `${p.skipped[k]} ${words}`);
  const skipped = p.matched - p.reachable;
  return `${p.reachable} will receive it; ${skipped ? `${skipped} skipped: ${reasons.join(', ')}` : 'nobody skipped'}.${unmatched}`;
}

/** Who a send now would text, announced politely as it changes; the API's own words when the audience is invalid. */
export function AudienceCount({ state, empty }: { state: State; empty: string }) {
  return (
    <div class="audience-count">
      <p role="status" class="notice">
        {state.loading ? 'Counting the audience…' : state.data ? countText(state.data) : state.error ? 'The audience cannot be counted.' : empty}
      </p>
      <ErrorBanner error={state.error} />
    </div>
  );
}

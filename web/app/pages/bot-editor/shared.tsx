import { useState } from 'preact/hooks';
import { ErrorBanner, useAction } from '../../components/ui';

export interface Bot {
  bot_id: string;
  name: string;
  handle: string | null;
  prompt: string;
  prompt_version: number;
  opening_message: string;
  response_enabled: boolean;
  response_resume_at: string | null;
  calendar_link: string | null;
  transfer_number: string | null;
}

/** A save button's work: busy, the API's error, and "Saved" once it succeeded (until the next try). */
export function useSave<A extends unknown[], T>(fn: (...args: A) => Promise<T>) {
  const action = useAction(fn);
  const [saved, setSaved] = useState(false);
  const run = async (...args: A): Promise<T | undefined> => {
    setSaved(false);
    const result = await action.run(...args);
    if (result !== undefined) setSaved(true);
    return result;
  };
  return { run, busy: action.busy, error: action.error, saved, clear: () => setSaved(false) };
}

/** The outcome of a save: the live region is always there so screen readers hear "Saved". */
export function SaveStatus({ save }: { save: { saved: boolean; error: unknown } }) {
  return (
    <>
      <p role="status" class="save-status">
        {save.saved ? 'Saved' : ''}
      </p>
      <ErrorBanner error={save.error} />
    </>
  );
}

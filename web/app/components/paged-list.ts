import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface ApiPage<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PagedList<T> {
  rows: T[];
  hasMore: boolean;
  /** Appends the next page ("Load more"). */
  more: () => Promise<void>;
  /** True while the first page or the next one is being read (a "Load more" waits for the first page). */
  moreBusy: boolean;
  moreError: unknown;
  loading: boolean;
  error: unknown;
  /** Reads the first page again (rows from "Load more" are dropped). */
  reload: () => void;
  /** Changes rows in place (an updated row from an action or a poll). */
  update: (fn: (rows: T[]) => T[]) => void;
}

/**
 * A {data, next_cursor} list read page by page. Every first-page read (new `deps`, or reload) starts a
 * new generation; an answer from an older generation, first page or "Load more", is dropped, so a slow
 * answer for the previous filters never replaces or extends the rows of the current ones.
 * `idOf` drops rows already shown (a row can move to a later page while the list is read).
 */
export function usePagedList<T>(fetchPage: (cursor?: string) => Promise<ApiPage<T>>, deps: unknown[], idOf?: (row: T) => string): PagedList<T> {
  const [state, setState] = useState<{ rows: T[]; cursor: string | null; loading: boolean; error: unknown }>({ rows: [], cursor: null, loading: true, error: null });
  const [next, setNext] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  // The reader of the current generation: "Load more" must ask with the filters of the rows it extends.
  const reader = useRef(fetchPage);
  const latest = useRef(state);
  latest.current = state;
  const moreInFlight = useRef(false);

  useEffect(() => {
    const gen = ++generation.current;
    reader.current = fetchPage;
    moreInFlight.current = false;
    setState((s) => ({ ...s, loading: true }));
    setNext({ busy: false, error: null });
    fetchPage().then(
      (page) => gen === generation.current && setState({ rows: page.data, cursor: page.next_cursor, loading: false, error: null }),
      (error) => gen === generation.current && setState({ rows: [], cursor: null, loading: false, error }),
    );
  }, [...deps, tick]);

  const more = useCallback(async () => {
    const { cursor, loading } = latest.current;
    if (!cursor || loading || moreInFlight.current) return;
    const gen = generation.current;
    moreInFlight.current = true;
    setNext({ busy: true, error: null });
    try {
      const page = await reader.current(cursor);
      if (gen !== generation.current) return;
      setState((s) => {
        const seen = idOf ? new Set(s.rows.map(idOf)) : null;
        return { ...s, rows: [...s.rows, ...(seen ? page.data.filter((r) => !seen.has(idOf!(r))) : page.data)], cursor: page.next_cursor };
      });
      setNext({ busy: false, error: null });
    } catch (error) {
      if (gen === generation.current) setNext({ busy: false, error });
    } finally {
      if (gen === generation.current) moreInFlight.current = false;
    }
  }, []);

  return {
    rows: state.rows,
    hasMore: !!state.cursor,
    more,
    moreBusy: next.busy || state.loading,
    moreError: next.error,
    loading: state.loading,
    error: state.error,
    reload: useCallback(() => setTick((t) => t + 1), []),
    update: useCallback((fn: (rows: T[]) => T[]) => setState((s) => ({ ...s, rows: fn(s.rows) })), []),
  };
}

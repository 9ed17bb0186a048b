import { useState } from 'preact/hooks';
import { get } from '../../api';
import { ErrorBanner, Field, submitting, useAction, valueOf } from '../../components/ui';

interface Passage {
  chunk_id: string;
  source_id: string;
  kind: string;
  title: string | null;
  filename: string | null;
  url: string | null;
  heading: string | null;
  content: string;
  score: number;
}

/** Runs the bot's own retrieval for a question: the passages it would be given, best first. */
export function KnowledgeSearch({ botId }: { botId: string }) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Passage[] | null>(null);
  const search = useAction(async () => {
    const res = await get<{ data: Passage[] }>('/search_knowledge', { bot_id: botId, query, limit: 10 });
    setResults(res.data);
  });
  return (
    <section class="card" aria-labelledby="search-heading">
      <h2 id="search-heading">What would the bot read?</h2>
      <form
        class="inline-form"
        role="search"
        onSubmit={submitting(() => search.run())}
      >
        <Field label="Question to search the knowledge for">
          <input type="search" value={query} onInput={(e) => setQuery(valueOf(e))} />
        </Field>
        <button type="submit" class="primary" disabled={search.busy}>
          Search
        </button>
      </form>
      <ErrorBanner error={search.error} />
      {results && (
        <p role="status" class="muted">
          {results.length ? `${results.length} passage${results.length === 1 ? '' : 's'}, best first.` : 'No passage matches: the bot would answer without knowledge.'}
        </p>
      )}
      {results && results.length > 0 && (
        <ol class="passages">
          {results.map((p) => (
            <li key={p.chunk_id} class="passage">
              <p class="muted">
                Score {p.score.toFixed(3)} · {p.kind} · {p.filename ?? p.title ?? p.url ?? p.source_id}
                {p.heading ? ` · ${p.heading}` : ''}
              </p>
              <blockquote>{p.content}</blockquote>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

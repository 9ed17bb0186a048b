const GOOD = new Set(['completed', 'in_progress']);
const BAD = new Set(['failed', 'busy', 'no_answer', 'rejected', 'canceled']);

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${GOOD.has(status) ? 'ok' : BAD.has(status) ? 'bad' : ''}`}>{status.replace('_', ' ')}</span>;
}

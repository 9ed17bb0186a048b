/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Reads a text/event-stream body event by event (conversation_api with stream: true). Events are
 * separated by a blank line; `data:` lines are joined and parsed as JSON.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const parsed = parseBlock(block);
      if (parsed) yield parsed;
    }
    if (done) return;
  }
}

export function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  try {
    return { event, data: JSON.parse(data.join('\n')) };
  } catch {
    return { event, data: data.join('\n') };
  }
}

export interface StreamedTurn {
  /** The text shown so far (deltas appended; a replace event swaps it). */
  onText(text: string): void;
  onStart?(data: { conversation_id: string; opening_message: string | null }): void;
}

/**
 * Follows one streamed conversation_api answer to its end: returns the `done` object, or throws the
 * `error` event's error as the API words it.
 */
export async function followTurn(res: Response, handlers: StreamedTurn): Promise<any> {
  if (!res.body) throw new Error('The server sent no body.');
  let text = '';
  for await (const ev of readSse(res.body)) {
    if (ev.event === 'start') handlers.onStart?.(ev.data);
    else if (ev.event === 'delta') handlers.onText((text += ev.data.text ?? ''));
    else if (ev.event === 'replace') handlers.onText((text = ev.data.text ?? ''));
    else if (ev.event === 'done') return ev.data;
    else if (ev.event === 'error') throw Object.assign(new Error(ev.data?.error?.message ?? 'The reply failed.'), { code: ev.data?.error?.code, status: ev.data?.error?.status });
  }
  throw new Error('The reply was cut off before it finished.');
}

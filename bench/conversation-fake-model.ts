/**
 * The conversation benchmark's model: a real HTTP server speaking OpenAI's /v1/chat/completions (JSON,
 * or SSE with `stream: true`) that answers at once. It runs in the benchmark's own process, so the time
 * it writes its first streamed chunk and the time the client sees the first delta share one clock.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** The reply: its first chunk ends a sentence, so the engine can release it at once. */
export const FIRST_CHUNK = 'Hello there. ';
export const REST = "I had a quiet day reading by the window, and now I'm glad you're here. What made yours so long?";
export const REPLY = FIRST_CHUNK + REST;

export interface StreamShape {
  /** `words`: a chunk a word, as models stream (about a token each); `sentence`: the first chunk is a whole sentence, the rest one chunk. */
  chunks: 'sentence' | 'words';
  /** Pause before each chunk after the first. */
  gapMs: number;
}

export interface FakeModel {
  url: string;
  /** The last request body received (the engine's prompt for the last turn, when turns run one at a time). */
  lastBody: Record<string, unknown> | null;
  /** performance.now() just before the last streamed answer's first chunk was written. */
  lastFirstChunkAt: number;
  requests: number;
  /** Requests being answered now. */
  inflight: number;
  shape: StreamShape;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });

export const DEFAULT_SHAPE: StreamShape = { chunks: 'words', gapMs: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeModel(): Promise<FakeModel> {
  const state: FakeModel = {
    url: '',
    lastBody: null,
    lastFirstChunkAt: 0,
    requests: 0,
    inflight: 0,
    shape: DEFAULT_SHAPE,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    state.inflight++;
    res.once('close', () => state.inflight--);
    void readBody(req).then(async (raw) => {
      const body = JSON.parse(raw) as Record<string, any>;
      state.lastBody = body;
      state.requests++;
      const model = String(body.model);
      const usage = { prompt_tokens: Math.ceil(raw.length / 4), completion_tokens: 30, total_tokens: Math.ceil(raw.length / 4) + 30 };
      const base = { id: 'chatcmpl-bench', created: Math.floor(Date.now() / 1000), model };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }], usage }),
        );
        return;
      }
      const { chunks, gapMs } = state.shape;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const parts = chunks === 'sentence' ? [FIRST_CHUNK, REST] : REPLY.split(/(?<= )/);
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs) await sleep(gapMs);
        if (i === 0) state.lastFirstChunkAt = performance.now();
        send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: part } : { content: part }, finish_reason: null }] });
      }
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      if (body.stream_options?.include_usage) send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
      res.end('data: [DONE]\n\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}

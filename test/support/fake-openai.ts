import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake does with the next request; default: answer `reply` (or "ok"). */
export interface FakeBehaviour {
  reply?: string;
  status?: number;
  delayMs?: number;
  /** Pause between streamed chunks. */
  chunkDelayMs?: number;
  /** Call this tool (one of the request's `tools`; no arguments), with `reply` as the text beside it when given. */
  toolCall?: string;
}

export interface FakeOpenAi {
  url: string;
  /** Bodies of every request received, in order. */
  requests: Array<Record<string, any>>;
  /** Queue behaviours for the next requests. */
  next(...b: FakeBehaviour[]): void;
  /** Inputs sent to /v1/moderations, in order. */
  moderated: string[];
  /** /v1/moderations flags texts containing `needle` with these categories (until reset). */
  flag(needle: string, categories: string[]): void;
  /** /v1/moderations answers this status until reset (e.g. 500). */
  failModeration(status: number | null): void;
  /** Requests to /v1/embeddings, in order (the Authorization header too, to see which key was sent). */
  embedded: Array<{ model: string; input: string[]; authorization: string | undefined }>;
  /** /v1/embeddings answers this status until reset (e.g. 500). */
  failEmbeddings(status: number | null): void;
  /** /v1/embeddings waits this long before answering, until reset. */
  delayEmbeddings(ms: number): void;
  /** Forget recorded requests and queued behaviours. */
  reset(): void;
  close(): Promise<void>;
}

const readJson = (req: IncomingMessage) =>
  new Promise<Record<string, any>>((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch (err) {
        reject(err);
      }
    });
  });

/** Dimensions of the fake's embeddings. */
export const FAKE_EMBEDDING_DIMS = 512;

/** Words the fake embeds as one (what a real model knows and full-text search does not). */
const SYNONYMS: Record<string, string> = { beacon: 'lighthouse', vessel: 'ferries', boat: 'ferries' };

/**
 * The fake's embedding of a text: its words (synonyms as one) hashed into 512 dimensions (FNV-1a),
 * normalised. Texts that share words are near in cosine distance, texts that share none are
 * orthogonal: enough for a test to know which passage must come first.
 */
export function fakeEmbedding(text: string): number[] {
  const v = new Array<number>(FAKE_EMBEDDING_DIMS).fill(0);
  for (const said of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const word = SYNONYMS[said] ?? said;
    let h = 0x811c9dc5;
    for (const ch of word) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
    v[h % FAKE_EMBEDDING_DIMS]! += 1;
  }
  const norm = Math.hypot(...v);
  return norm ? v.map((x) => x / norm) : v.map((_, i) => (i === 0 ? 1 : 0));
}

/**
 * A real HTTP server speaking OpenAI's /v1/chat/completions, with and without `stream: true` (SSE
 * chunks, a usage chunk, `data: [DONE]`), /v1/moderations and /v1/embeddings (only `embeddingModel`
 * exists there). It refuses a wrong Bearer key like the real one does.
 */
export async function startFakeOpenAi(apiKey = 'test-llm-key', opts: { embeddingModel?: string } = {}): Promise<FakeOpenAi> {
  const embeddingModel = opts.embeddingModel ?? 'embed-1';
  const embedded: FakeOpenAi['embedded'] = [];
  let embeddingStatus: number | null = null;
  let embeddingDelayMs = 0;
  const requests: Array<Record<string, any>> = [];
  const queue: FakeBehaviour[] = [];
  const moderated: string[] = [];
  const flags: Array<{ needle: string; categories: string[] }> = [];
  let moderationStatus: number | null = null;
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || !['/v1/chat/completions', '/v1/moderations', '/v1/embeddings'].includes(req.url ?? '')) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
      return;
    }
    const body = await readJson(req);
    if (req.url === '/v1/embeddings') {
      const input: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
      embedded.push({ model: String(body.model), input, authorization: req.headers.authorization });
      if (embeddingDelayMs) await new Promise((r) => setTimeout(r, embeddingDelayMs));
      if (body.model !== embeddingModel) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `The model \`${body.model}\` does not exist`, type: 'invalid_request_error', code: 'model_not_found' } }));
        return;
      }
      if (embeddingStatus) {
        res.writeHead(embeddingStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error' } }));
        return;
      }
      // OpenAI's shape; base64 is little-endian float32, what the official client asks for by default.
      const encode = (v: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
      const data = input.map((text, index) => ({ object: 'embedding', index, embedding: encode(fakeEmbedding(text)) }));
      const tokens = input.reduce((n, t) => n + t.split(/\s+/).length, 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
      return;
    }
    if (req.url === '/v1/moderations') {
      // OpenAI's moderation shape: every category present, true or false.
      const input = String(body.input);
      moderated.push(input);
      if (moderationStatus) {
        res.writeHead(moderationStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error' } }));
        return;
      }
      const hit = new Set(flags.filter((f) => input.includes(f.needle)).flatMap((f) => f.categories));
      const names = ['sexual', 'sexual/minors', 'harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'self-harm', 'self-harm/intent', 'self-harm/instructions', 'violence', 'violence/graphic', 'illicit', 'illicit/violent'];
      const categories = Object.fromEntries(names.map((n) => [n, hit.has(n)]));
      const scores = Object.fromEntries(names.map((n) => [n, hit.has(n) ? 0.97 : 0.001]));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'modr-fake', model: body.model, results: [{ flagged: hit.size > 0, categories, category_scores: scores }] }));
      return;
    }
    requests.push(body);
    const b = queue.shift() ?? {};
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (b.status && b.status >= 400) {
      res.writeHead(b.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'fake failure', type: 'server_error' } }));
      return;
    }
    const reply = b.reply ?? 'ok';
    const model = String(body.model);
    const usage = { prompt_tokens: 11, completion_tokens: reply.split(' ').length, total_tokens: 11 + reply.split(' ').length };
    const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model };
    if (b.toolCall) {
      const offered = (body.tools ?? []).some((t: { function?: { name?: string } }) => t.function?.name === b.toolCall);
      if (!offered) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `tool ${b.toolCall} was not offered`, type: 'invalid_request_error' } }));
        return;
      }
      const call = { id: `call_${requests.length}`, type: 'function', function: { name: b.toolCall, arguments: '{}' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: b.reply ?? null, tool_calls: [call] }, finish_reason: 'tool_calls' }], usage }),
      );
      return;
    }
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const words = reply.split(/(?<= )/);
    for (const [i, word] of words.entries()) {
      if (b.chunkDelayMs) await new Promise((r) => setTimeout(r, b.chunkDelayMs));
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: word } : { content: word }, finish_reason: null }] });
    }
    send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (body.stream_options?.include_usage) send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    next: (...b) => queue.push(...b),
    moderated,
    flag: (needle, categories) => flags.push({ needle, categories }),
    failModeration: (status) => (moderationStatus = status),
    embedded,
    failEmbeddings: (status) => (embeddingStatus = status),
    delayEmbeddings: (ms) => (embeddingDelayMs = ms),
    reset: () => {
      embedded.length = 0;
      embeddingStatus = null;
      embeddingDelayMs = 0;
      requests.length = 0;
      queue.length = 0;
      moderated.length = 0;
      flags.length = 0;
      moderationStatus = null;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

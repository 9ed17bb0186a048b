import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startServer, type Server as Sinth } from '../src/main.js';
import { openTestDatabase, testConfig } from './support/harness.js';
import { modelEnv } from './support/conversation.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { waitUntil } from './support/wait.js';
import type { DatabaseHandle } from '../src/db/database.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A real OTLP/HTTP collector: takes JSON trace exports at /v1/traces and keeps their spans. */
async function startCollector() {
  const spans: Array<OtlpSpan & { service: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      if (req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) return void res.writeHead(404).end();
      for (const rs of JSON.parse(body).resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

let collector: Awaited<ReturnType<typeof startCollector>>;
let fake: FakeOpenAi;
let database: DatabaseHandle;
let server: Sinth;
beforeAll(async () => {
  collector = await startCollector();
  fake = await startFakeOpenAi('llm-secret');
  database = await openTestDatabase();
  server = await startServer(testConfig({ ...modelEnv(fake), PORT: '0', HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'sinth-test' }), { database, log: createLogger('silent') });
});
afterAll(async () => {
  await database?.close();
  await collector?.close();
  await fake?.close();
});

describe('OpenTelemetry traces', () => {
  it('sends a server span per request, continuing the caller\'s trace, when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await server.app!.inject({
      method: 'POST',
      url: '/create_account',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: { email: `trace-${Date.now()}@example.com`, password: 'correct horse battery' },
    });
    expect(res.statusCode).toBe(200);
    // A turn with a JSON body: the model call's span must nest under the request's.
    const { api_key: key } = res.json();
    const bot = (await server.app!.inject({ method: 'POST', url: '/create_bot', headers: { 'api-key': key }, payload: { name: 'Traced' } })).json();
    fake.next({ reply: 'hello there' });
    // Over a real socket: the body arrives on the socket's callbacks, after the request hooks ran.
    const turn = await fetch(`${server.url}/conversation_api`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ creator: bot.bot_id, user_id: 'fan-t', message: 'a private message' }) });
    expect(turn.status).toBe(200);
    // A client that gives up still leaves an ended span behind.
    fake.next({ reply: 'too late', delayMs: 800 });
    const seen = fake.requests.length;
    const gone = new AbortController();
    const abandoned = fetch(`${server.url}/conversation_api`, { method: 'POST', signal: gone.signal, headers: { 'api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ creator: bot.bot_id, user_id: 'fan-t', message: 'are you there' }) });
    await waitUntil(async () => fake.requests.length, (n) => n > seen, 'the model to be asked');
    gone.abort();
    await expect(abandoned).rejects.toThrow();
    // close() flushes the spans still buffered.
    await server.close();
    expect(collector.spans.filter((s) => s.name === 'POST /conversation_api' && attr(s, 'sinth.client_aborted') === true)).toHaveLength(1);
    const request = collector.spans.find((s) => s.name === 'POST /conversation_api' && attr(s, 'http.response.status_code') === 200)!;
    const llm = collector.spans.find((s) => s.name === 'llm generate')!;
    expect(llm.traceId).toBe(request.traceId);
    expect(llm.parentSpanId).toBe(request.spanId);
    expect(JSON.stringify(collector.spans)).not.toContain('a private message');
    const span = collector.spans.find((s) => s.name === 'POST /create_account');
    expect(span).toBeDefined();
    expect(span!.service).toBe('sinth-test');
    expect(span!.traceId).toBe(traceId);
    expect(span!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(attr(span!, 'http.response.status_code')).toBe(200);
    expect(attr(span!, 'sinth.request_id')).toBe(res.headers['x-request-id']);
  });
});

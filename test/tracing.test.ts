import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';
import { startServer, type Server as Sinth } from '../src/main.js';
import { openTestDatabase, testConfig } from './support/harness.js';
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
let database: DatabaseHandle;
let server: Sinth;
beforeAll(async () => {
  collector = await startCollector();
  database = await openTestDatabase();
  server = await startServer(testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'sinth-test' }), { database, listen: false, log: createLogger('silent') });
});
afterAll(async () => {
  await database?.close();
  await collector?.close();
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
    // close() flushes the spans still buffered.
    await server.close();
    const span = collector.spans.find((s) => s.name === 'POST /create_account');
    expect(span).toBeDefined();
    expect(span!.service).toBe('sinth-test');
    expect(span!.traceId).toBe(traceId);
    expect(span!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(attr(span!, 'http.response.status_code')).toBe(200);
    expect(attr(span!, 'sinth.request_id')).toBe(res.headers['x-request-id']);
  });
});

import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';

/**
 * Optional OpenTelemetry traces: spans for HTTP requests, jobs and provider calls, sent over OTLP/HTTP
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set. Unset, the API's no-op tracer makes every span free, and
 * the SDK is not even loaded.
 */
export const tracer = () => trace.getTracer('sinth');

export interface Tracing {
  /** Sends the spans still buffered (a stopping server calls it last). */
  flush(): Promise<void>;
}

let active: Promise<Tracing> | null = null;

/** Starts the SDK once per process (servers built later in the same process share it). */
export function startTracing(endpoint: string | undefined, serviceName: string, log: Logger): Promise<Tracing> | null {
  if (!endpoint) return null;
  active ??= (async () => {
    const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
    const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 10_000 });
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
    });
    provider.register();
    log.info({ endpoint }, 'tracing: sending spans over OTLP');
    return { flush: () => provider.forceFlush() };
  })();
  return active;
}

/** Runs `work` inside a span (a child of the current one), marking the span failed when it throws. */
export async function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>, kind = SpanKind.INTERNAL): Promise<T> {
  return tracer().startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await work();
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The error's kind only, never its message: messages can quote what a user wrote or a provider answered. */
function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
}

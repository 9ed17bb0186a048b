import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { tracer } from '../observability/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    span: Span | null;
  }
}

/**
 * A server span per request, continuing the caller's trace (traceparent) and active for the rest of
 * the request's life, so spans of the work it does (queries, provider calls) nest under it.
 */
export function registerRequestTracing(app: FastifyInstance): void {
  app.decorateRequest('span', null);
  app.addHook('onRequest', (request, reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer().startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? 'unmatched', 'sinth.request_id': String(request.id) },
    }, parent);
    request.span = span;
    // The response's 'close' comes for every request, answered or abandoned by its client (which
    // gets no onResponse), so every span ends.
    reply.raw.once('close', () => {
      if (!reply.sent) span.setAttribute('sinth.client_aborted', true);
      else span.setAttribute('http.response.status_code', reply.statusCode);
      if (request.ctx?.accountId) span.setAttribute('sinth.account_id', request.ctx.accountId);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), done);
  });
}

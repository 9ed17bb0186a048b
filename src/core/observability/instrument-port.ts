import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { providerDuration, providerErrors } from './metrics.js';
import { tracer } from './tracing.js';

/**
 * Wraps a provider port (an object of methods) so every call is timed, counted when it fails and
 * traced, labelled by provider and method: the ports stay ignorant of metrics. A method may return
 * a promise, or an object whose `result` promise settles when it is done (a streamed model reply).
 */
export function instrumented<T extends object>(provider: string, port: T, onResult?: (value: unknown) => void): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      // A call whose request carries an AbortSignal the caller fired (a reply refused halfway) is
      // counted as aborted, not as the provider failing.
      const signal = (args: unknown[]) => (args[0] as { signal?: AbortSignal } | null)?.signal;
      return (...args: unknown[]) => observe(provider, prop, () => (value as (...a: unknown[]) => unknown).apply(target, args), onResult, signal(args));
    },
  });
}

function observe(provider: string, operation: string, call: () => unknown, onResult?: (value: unknown) => void, signal?: AbortSignal): unknown {
  const span = tracer().startSpan(`${provider} ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'sinth.provider': provider } });
  const end = providerDuration.startTimer({ provider, operation });
  const settle = (err: unknown, value?: unknown) => {
    const aborted = Boolean(err) && signal?.aborted === true;
    end({ outcome: aborted ? 'aborted' : err ? 'error' : 'ok' });
    if (!err) {
      onResult?.(value);
    } else if (!aborted) {
      providerErrors.inc({ provider, operation });
      // The error's kind only: a provider's message can quote the prompt or the text sent.
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
    }
    span.end();
  };
  let out: unknown;
  try {
    out = call();
  } catch (err) {
    settle(err);
    throw err;
  }
  const done = out instanceof Promise ? out : (out as { result?: unknown } | null)?.result;
  if (done instanceof Promise) done.then((v: unknown) => settle(null, v), (err: unknown) => settle(err));
  else settle(null, out);
  return out;
}

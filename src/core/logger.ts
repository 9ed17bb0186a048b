import pino, { type DestinationStream, type Logger } from 'pino';

/** Query parameters that may hold secrets never reach the logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:api_key|token|claim_token)=)[^&]*/gi, '$1[redacted]');
}

/**
 * JSON logs. Requests are logged as method, redacted URL and ids only: never headers (keys live there)
 * nor bodies (messages are personal data).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: { paths: ['*.password', '*.api_key', '*.key', '*.token', '*.authorization', '*["api-key"]'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  }, destination);
}

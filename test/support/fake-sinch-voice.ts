import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sinchSignature } from '../../src/features/voice/sinch-callback-auth.js';

/**
 * A real HTTP server speaking Sinch's Calling API v1 as far as sinth uses it: callouts, call updates
 * (PATCH with SVAML) and call info. Like Sinch, it demands `Authorization: Application <key>:<sig>`
 * signed over method, body MD5, exact Content-Type, x-timestamp and path (telephony.md §1.5), so a
 * request signed with the wrong secret, or whose body changed after signing, is refused with 401.
 * The official SDK signs this way (never Basic), so that is the only scheme the fake takes.
 * Point the SDK at it with SINCH_VOICE_BASE_URL = fake.url (the SDK's voiceHostname).
 */

export interface FakeSinchVoiceRequest {
  method: string;
  /** Path without the query, e.g. /calling/v1/callouts. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw text when it was not JSON; null when there was none. */
  body: any;
  /** True when the Application signature held. */
  authenticated: boolean;
}

export interface FakeSinchVoiceFailure {
  status: number;
  /** Answered as JSON; default {errorCode: status * 100, message}. */
  body?: unknown;
}

export interface FakeSinchVoice {
  /** Origin to set as SINCH_VOICE_BASE_URL (the SDK's voiceHostname), e.g. http://127.0.0.1:PORT. */
  url: string;
  appKey: string;
  /** Base64, as Sinch's application secrets are. */
  appSecret: string;
  /** Every request received, signed or not. */
  requests: FakeSinchVoiceRequest[];
  /** Accepted POST /calling/v1/callouts, with the callId the fake issued. */
  callouts: Array<{ callId: string; body: any }>;
  /** Accepted PATCH /calling/v1/calls/id/{callId}. */
  updates: Array<{ callId: string; body: any }>;
  /** The next requests fail this way, one each, in order (before the signature is checked). */
  failNext(...failures: FakeSinchVoiceFailure[]): void;
  /** A call the fake did not start (an inbound call the simulator made up), so it can be updated. */
  knowCall(callId: string): void;
  /** Forget requests, callouts, updates, calls and queued failures. */
  reset(): void;
  close(): Promise<void>;
}

interface CallState {
  from: { type: string; endpoint: string } | null;
  to: { type: string; endpoint: string } | null;
  custom: string | null;
  startedAt: number;
  hungUp: boolean;
}

const CALLOUT_METHODS = new Set(['customCallout', 'ttsCallout', 'conferenceCallout']);

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer): any {
  if (!raw.length) return null;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (status === 204 || body === undefined) return void res.writeHead(status).end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const sinchError = (res: ServerResponse, status: number, errorCode: number, message: string) =>
  send(res, status, { errorCode, message, reference: randomBytes(8).toString('hex') });

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** Sinch's own check of an API request: key, x-timestamp present, signature over the raw bytes. */
function signedBy(req: IncomingMessage, path: string, raw: Buffer, appKey: string, appSecret: string): boolean {
  const m = /^application ([^:\s]+):(\S+)$/i.exec(header(req, 'authorization') ?? '');
  const timestamp = header(req, 'x-timestamp');
  if (!m || m[1] !== appKey || !timestamp) return false;
  const expected = Buffer.from(sinchSignature(appSecret, { method: req.method ?? 'GET', path, contentType: header(req, 'content-type') ?? '', timestamp, body: raw }));
  const given = Buffer.from(m[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startFakeSinchVoice(opts: { appKey?: string; appSecret?: string } = {}): Promise<FakeSinchVoice> {
  const appKey = opts.appKey ?? randomBytes(16).toString('hex');
  const appSecret = opts.appSecret ?? randomBytes(16).toString('base64');
  const requests: FakeSinchVoiceRequest[] = [];
  const callouts: FakeSinchVoice['callouts'] = [];
  const updates: FakeSinchVoice['updates'] = [];
  const failures: FakeSinchVoiceFailure[] = [];
  const calls = new Map<string, CallState>();

  /** Sinch's GET /calls/id/{callId} answer (telephony.md §1.4). */
  const callInfo = (callId: string, c: CallState) => ({
    from: c.from,
    to: c.to,
    domain: 'pstn',
    callId,
    duration: Math.round((Date.now() - c.startedAt) / 1000),
    status: c.hungUp ? 'FINAL' : 'ONGOING',
    result: c.hungUp ? 'ANSWERED' : 'N/A',
    reason: c.hungUp ? 'MANAGERHANGUP' : 'N/A',
    timestamp: new Date(c.startedAt).toISOString(),
    custom: c.custom,
    userRate: { currencyId: 'USD', amount: 0.01 },
    debit: { currencyId: 'USD', amount: 0.02 },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const method = req.method ?? 'GET';
    const raw = await readRaw(req);
    const body = parseBody(raw);
    const authenticated = signedBy(req, path, raw, appKey, appSecret);
    requests.push({ method, path, headers: { ...req.headers }, body, authenticated });

    const failure = failures.shift();
    if (failure) return send(res, failure.status, failure.body ?? { errorCode: failure.status * 100, message: 'Fake Sinch failure' });
    if (!authenticated) return sinchError(res, 401, 40100, 'Invalid Signature');

    if (path === '/calling/v1/callouts' && method === 'POST') {
      const kind = isObject(body) ? body.method : undefined;
      if (typeof kind !== 'string' || !CALLOUT_METHODS.has(kind)) return sinchError(res, 400, 40001, `Invalid callout method: ${String(kind)}`);
      const details = body[kind];
      if (!isObject(details)) return sinchError(res, 400, 40001, `Missing ${kind} object`);
      const callId = randomBytes(16).toString('hex');
      calls.set(callId, {
        from: typeof details.cli === 'string' ? { type: 'number', endpoint: details.cli } : null,
        to: isObject(details.destination) ? { type: String(details.destination.type), endpoint: String(details.destination.endpoint) } : null,
        custom: typeof details.custom === 'string' ? details.custom : null,
        startedAt: Date.now(),
        hungUp: false,
      });
      callouts.push({ callId, body });
      return send(res, 200, { callId });
    }

    const m = /^\/calling\/v1\/calls\/id\/([^/]+)$/.exec(path);
    if (m && (method === 'PATCH' || method === 'GET')) {
      const callId = decodeURIComponent(m[1]!);
      const call = calls.get(callId);
      if (!call) return sinchError(res, 404, 40400, 'Call not found');
      if (method === 'GET') return send(res, 200, callInfo(callId, call));
      if (!isObject(body)) return sinchError(res, 400, 40001, 'Invalid SVAML');
      updates.push({ callId, body });
      if (isObject(body.action) && body.action.name === 'hangup') call.hungUp = true;
      return send(res, 204);
    }

    return sinchError(res, 404, 40400, `No such resource: ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sinchError(res, 500, 50000, String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    appKey,
    appSecret,
    requests,
    callouts,
    updates,
    failNext: (...f) => void failures.push(...f),
    knowCall: (callId) => void calls.set(callId, { from: null, to: null, custom: null, startedAt: Date.now(), hungUp: false }),
    reset: () => {
      requests.length = 0;
      callouts.length = 0;
      updates.length = 0;
      failures.length = 0;
      calls.clear();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A real HTTP server speaking Sinch's SMS REST API ("xms" v1) as far as sinth uses it:
 * `POST /xms/v1/{service_plan_id}/batches` with `Authorization: Bearer <api token>`, answering the
 * created batch, or Sinch's error body ({code, text}); `GET` the same path lists the batches sent
 * (newest first; from, to, start_date, end_date, client_reference, page, page_size). Point the SDK at it with
 * SINCH_SMS_BASE_URL = fake.url (the SDK's smsHostname).
 */

export interface FakeSinchRequest {
  method: string;
  path: string;
  /** The Authorization header as sent. */
  authorization: string | undefined;
  /** True when the plan in the path and the Bearer token are the configured ones. */
  authenticated: boolean;
  /** Parsed JSON body (null when there was none or it was not JSON). */
  body: Record<string, any> | null;
}

/** One batch the fake accepted. */
export interface FakeSinchBatch {
  id: string;
  servicePlanId: string;
  to: string[];
  from: string;
  body: string;
  deliveryReport: string | null;
  callbackUrl: string | null;
  clientReference: string | null;
  /** The whole request body, as sent. */
  request: Record<string, any>;
  createdAt: Date;
}

export interface FakeSinchError {
  /** HTTP status; default 400. */
  status?: number;
  /** Sinch's error code, e.g. syntax_constraint_violation. */
  code?: string;
  text?: string;
}

export interface FakeSinchSms {
  /** Origin to set as SINCH_SMS_BASE_URL, e.g. http://127.0.0.1:PORT. */
  url: string;
  servicePlanId: string;
  apiToken: string;
  requests: FakeSinchRequest[];
  /** Batches accepted, in order. */
  sent: FakeSinchBatch[];
  /** The next batch sends fail with these errors, one each, in order. */
  failNext(...errors: FakeSinchError[]): void;
  reset(): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, any> | null> {
  let text = '';
  for await (const chunk of req) text += chunk;
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    return null;
  }
}

const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** Sinch batch ids are 26-character ULIDs in upper-case Crockford base32. */
const batchId = () => {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
};

/** A batch as Sinch's API shows it (the send's answer, a list's item). */
function batchJson(b: FakeSinchBatch) {
  const at = b.createdAt.toISOString();
  return {
    id: b.id,
    to: b.to,
    from: b.request.from,
    canceled: false,
    body: b.body,
    type: b.request.type ?? 'mt_text',
    created_at: at,
    modified_at: at,
    delivery_report: b.deliveryReport ?? 'none',
    callback_url: b.callbackUrl ?? undefined,
    client_reference: b.clientReference ?? undefined,
    flash_message: false,
  };
}

/** Sinch's list: batches created in [start_date, end_date) (start_date defaults to a day ago), newest first, paged from 0. */
function listBatches(batches: FakeSinchBatch[], q: URLSearchParams) {
  const start = q.get('start_date') ? Date.parse(q.get('start_date')!) : Date.now() - 24 * 3600_000;
  const end = q.get('end_date') ? Date.parse(q.get('end_date')!) : Infinity;
  // Unencoded '+' (the SDK does not encode query values) arrives as a space.
  const number = (n: string) => n.trim().replace(/^\+/, '');
  const from = q.get('from')?.split(',').map(number) ?? null;
  const to = q.get('to')?.split(',').map(number) ?? null;
  const ref = q.get('client_reference');
  const all = batches
    .filter((b) => b.createdAt.getTime() >= start && b.createdAt.getTime() < end)
    .filter((b) => (!from || from.includes(number(b.from))) && (!to || b.to.some((t) => to.includes(number(t)))) && (!ref || b.clientReference === ref))
    .reverse();
  const size = Number(q.get('page_size') ?? 30);
  const page = Number(q.get('page') ?? 0);
  return { count: all.length, page, page_size: size, batches: all.slice(page * size, (page + 1) * size).map(batchJson) };
}

export async function startFakeSinchSms(opts: { servicePlanId?: string; apiToken?: string } = {}): Promise<FakeSinchSms> {
  const servicePlanId = opts.servicePlanId ?? `plan${randomBytes(8).toString('hex')}`;
  const apiToken = opts.apiToken ?? `sinch-${randomBytes(12).toString('hex')}`;
  const requests: FakeSinchRequest[] = [];
  const sent: FakeSinchBatch[] = [];
  const failures: FakeSinchError[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const body = await readJson(req);
    const plan = /^\/xms\/v1\/([^/]+)\/batches$/.exec(path)?.[1];
    const authenticated = plan === servicePlanId && req.headers.authorization === `Bearer ${apiToken}`;
    requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization, authenticated, body });

    if (!plan || (req.method !== 'POST' && req.method !== 'GET')) return send(res, 404, { code: 'not_found', text: `No such resource: ${req.method} ${path}` });
    if (!authenticated) return send(res, 401, { code: 'unauthorized', text: 'Invalid service plan or API token' });
    if (req.method === 'GET') return send(res, 200, listBatches(sent.filter((b) => b.servicePlanId === plan), url.searchParams));
    const failure = failures.shift();
    if (failure) return send(res, failure.status ?? 400, { code: failure.code ?? 'syntax_constraint_violation', text: failure.text ?? 'Fake Sinch failure' });
    if (!body || !Array.isArray(body.to) || body.to.length === 0 || typeof body.body !== 'string') {
      return send(res, 400, { code: 'syntax_constraint_violation', text: 'to and body are required' });
    }
    if (body.to.some((n: unknown) => typeof n !== 'string' || !/^\+?[1-9]\d{6,14}$/.test(n))) {
      return send(res, 400, { code: 'syntax_invalid_parameter_format', text: 'Invalid recipient number' });
    }
    const id = batchId();
    sent.push({
      id,
      servicePlanId: plan,
      to: body.to,
      from: String(body.from ?? ''),
      body: body.body,
      deliveryReport: body.delivery_report ?? null,
      callbackUrl: body.callback_url ?? null,
      clientReference: body.client_reference ?? null,
      request: body,
      createdAt: new Date(),
    });
    return send(res, 201, batchJson(sent.at(-1)!));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { code: 'internal_error', text: String(err) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    servicePlanId,
    apiToken,
    requests,
    sent,
    failNext: (...errors) => void failures.push(...errors),
    reset: () => {
      requests.length = 0;
      sent.length = 0;
      failures.length = 0;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

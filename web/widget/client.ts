// Calls to the widget's own server (the origin /widget.js came from), and nowhere else.
import { errorMessage } from './logic.js';

export interface ApiResult<T = any> {
  ok: boolean;
  status: number;
  body: T | null;
  /** The API's message when not ok. */
  message: string;
}

async function json(res: Response): Promise<any> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

export function createClient(host: string, apiKey: string) {
  const get = async <T = any>(path: string, query: Record<string, string>): Promise<ApiResult<T>> => {
    const params = new URLSearchParams({ ...query, api_key: apiKey });
    try {
      const res = await fetch(`${host}${path}?${params}`, { credentials: 'omit', cache: 'no-store' });
      const body = await json(res);
      return { ok: res.ok, status: res.status, body, message: res.ok ? '' : errorMessage(res.status, body) };
    } catch {
      return { ok: false, status: 0, body: null, message: errorMessage(0, null) };
    }
  };

  /** POST /conversation_api; the Response (a stream or JSON), or the failure as the API words it. */
  const converse = async (body: Record<string, unknown>, idempotencyKey: string): Promise<{ res: Response } | { error: ApiResult }> => {
    let res: Response;
    try {
      res = await fetch(`${host}/conversation_api`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ ...body, api_key: apiKey }),
      });
    } catch {
      return { error: { ok: false, status: 0, body: null, message: errorMessage(0, null) } };
    }
    if (res.ok) return { res };
    const b = await json(res);
    return { error: { ok: false, status: res.status, body: b, message: errorMessage(res.status, b) } };
  };

  return { get, converse };
}

export type Client = ReturnType<typeof createClient>;

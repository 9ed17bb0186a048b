import { expect } from 'vitest';
import type { Harness } from '../harness.js';
import { show, type Case, type KeyKind } from './case.js';
import { changedTables, type Fingerprint } from './db-fingerprint.js';

const TIMEOUT_MS = 10_000;

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
}

export type Send = (c: Case) => Promise<Answer>;

/** Sends a case in-process with the key it names; no answer within TIMEOUT_MS is a failure (a hang). */
export function sender(h: Harness, keys: Record<KeyKind, string | null>): Send {
  return async (c) => {
    const headers = { ...c.headers };
    const key = keys[c.key];
    if (key) headers['api-key'] = key;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    try {
      const res = await Promise.race([h.app.inject({ method: c.method, url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) }), timeout]);
      return { status: res.statusCode, body: res.body, headers: res.headers };
    } finally {
      clearTimeout(timer);
    }
  };
}

/** What every answer must be: no 5xx, and the error shape on a 4xx. */
export function checkAnswer(c: Case, res: Answer, mustReject: boolean): void {
  const where = `${show(c)}\n→ ${res.status} ${res.body.slice(0, 500)}`;
  expect(res.status, where).toBeLessThan(500);
  if (mustReject) expect(res.status, where).toBeGreaterThanOrEqual(400);
  if (res.status >= 400) {
    let body: any;
    expect(() => (body = JSON.parse(res.body)), where).not.toThrow();
    expect(Object.keys(body), where).toEqual(['error']);
    const { type, code, message, request_id } = body.error;
    for (const v of [type, code, message]) expect(typeof v, where).toBe('string');
    expect(request_id, where).toBe(res.headers['x-request-id']);
  }
}

/** The limit a 413 names ("… limit of 256 KB."), in bytes. */
export function parseLimit(body: string): number | null {
  const m = /limit of (\d+) (bytes|KB|MB)/.exec(body);
  if (!m) return null;
  return Number(m[1]) * (m[2] === 'MB' ? 1024 * 1024 : m[2] === 'KB' ? 1024 : 1);
}

/** Replays the cases one by one, each between two fingerprints: the ones that still change something. */
export async function culprits(cases: Case[], send: Send, fingerprint: () => Promise<Fingerprint>): Promise<string[]> {
  const found: string[] = [];
  for (const c of cases) {
    const before = await fingerprint();
    const res = await send(c);
    const changed = changedTables(before, await fingerprint());
    if (changed.length) found.push(`${show(c)} → ${res.status}, changed ${changed.join(', ')}`);
  }
  return found;
}

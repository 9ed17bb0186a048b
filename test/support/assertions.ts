import { expect } from 'vitest';
import type { TestResponse } from './harness.js';

/** The error shape of API.md: status, type, optionally code and param, and the response's request id. */
export function expectError(res: TestResponse, status: number, type: string, code?: string, param?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.type).toBe(type);
  if (code !== undefined) expect(res.body.error.code).toBe(code);
  if (param !== undefined) expect(res.body.error.param).toBe(param);
  expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
}

/** A 400 naming the parameter at fault. */
export const expectInvalid = (res: TestResponse, param: string, code?: string) => expectError(res, 400, 'invalid_request', code, param);

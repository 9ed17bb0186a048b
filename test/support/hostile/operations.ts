/** A JSON schema as /openapi.json gives it (the parts the hostile-input helpers read). */
export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  default?: unknown;
}

export type AuthMode = 'none' | 'admin' | 'conversation' | 'callback';

export interface Operation {
  method: 'GET' | 'POST';
  path: string;
  auth: AuthMode;
  /** How the request carries its input. */
  input: 'query' | 'json' | 'multipart' | 'raw';
  query: Array<{ name: string; required: boolean; schema: Schema }>;
  body: Schema | null;
}

/** Every operation of the OpenAPI document; provider callbacks (no security at all) take raw bodies. */
export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security: Array<Record<string, unknown>> | undefined = op.security;
      const auth: AuthMode =
        security === undefined ? (path.startsWith('/webhooks/') ? 'callback' : 'none') : security.length === 0 ? 'none' : security.some((s) => 'apiKeyParam' in s) ? 'conversation' : 'admin';
      const json = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
      const input = method === 'get' ? 'query' : json ? 'json' : path === '/upload' ? 'multipart' : 'raw';
      ops.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        auth,
        input,
        query: (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => ({ name: p.name, required: !!p.required, schema: p.schema ?? {} })),
        body: json ?? null,
      });
    }
  }
  return ops;
}

import fastJson from 'fast-json-stringify';
import { z } from 'zod';

/**
 * Response serializer: the route's zod response schema, turned into JSON Schema once at start and
 * compiled by fast-json-stringify. It writes only the declared fields (nothing undeclared leaks into a
 * response) and is several times faster than validating each response with zod before JSON.stringify.
 */
export function zodSerializerCompiler({ schema }: { schema: unknown }): (data: unknown) => string {
  if (!(schema instanceof z.ZodType)) return (data) => JSON.stringify(data);
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  return fastJson(jsonSchema as Parameters<typeof fastJson>[0]);
}

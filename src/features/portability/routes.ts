import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../core/context.js';
import { ctxOf } from '../../core/http/auth-hooks.js';
import { describe } from '../../core/http/schema.js';
import { exportAccountData } from './export-service.js';

const tag = 'Auth';

const DESCRIPTION =
  'Everything of the account as one gzip-compressed JSON-lines file (format "sinth-account", version 1): account settings, bots with their settings, prompts and versions, ' +
  'knowledge sources with their files and passages, end users, conversations and messages with ratings, SMS, calls, numbers, campaigns, webhook endpoints, notification ' +
  'settings, usage, analytics and the audit log. Never a secret: no API keys or their hashes, no password, no webhook signing secrets, no provider credentials, no Stripe ids. ' +
  '`sinth import <file>` loads it into a server as a new account. Each export is recorded in the audit log.';

export function portabilityRoutes(_deps: AppDeps) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post('/export_account_data', {
      config: { auth: 'admin' },
      schema: {
        ...describe({ tag, auth: 'admin', summary: 'Download all of the account\'s data (data portability)', ok: z.any().describe('application/gzip: the archive'), description: DESCRIPTION }),
        body: z.strictObject({}).nullish().describe('No parameters: the body may be empty or {}'),
      },
    }, async (req, reply) => {
      const archive = await exportAccountData({ ctx: ctxOf(req) });
      return reply
        .header('content-type', 'application/gzip')
        .header('content-length', String(archive.size))
        .header('content-disposition', `attachment; filename="${archive.fileName}"`)
        .header('cache-control', 'no-store')
        .send(archive.stream);
    });
  };
}

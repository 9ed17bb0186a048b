import { z } from 'zod';
import { Id } from '../../core/http/schema.js';

const Email = z.email('must be an email address').max(254);
export const Password = z.string().min(8, 'must be at least 8 characters').max(256);
const Origin = z
  .string()
  .max(200)
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i, 'must be an origin such as https://example.com (scheme, host, optional port; no path)')
  .transform((o) => o.toLowerCase());

export const CreateAccountInput = z.strictObject({
  email: Email,
  password: Password,
  name: z.string().trim().min(1).max(100).optional(),
  claim_token: z.string().min(10).max(200).optional().describe('From /create_bot_before_login: moves that bot into the new account'),
});
export type CreateAccountInput = z.infer<typeof CreateAccountInput>;

export const CreateAccountResult = z.object({
  account_id: z.string(),
  key_id: z.string(),
  api_key: z.string().describe('An admin key, shown only this once'),
  claimed_bot_id: z.string().nullable(),
});

export const LoginInput = z.strictObject({ email: Email, password: z.string().min(1).max(256) });
export type LoginInput = z.infer<typeof LoginInput>;

export const LoginResult = z.object({
  account_id: z.string(),
  token: z.string().describe('Use as Authorization: Bearer <token> or api-key'),
  key_id: z.string(),
  expires_at: z.string(),
});

export const CreateApiKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scope: z.enum(['admin', 'conversation']),
    bot_ids: z.array(Id('bot', 'bot')).max(100).optional().describe('conversation keys only: the bots it may talk to (default: all)'),
    allowed_origins: z.array(Origin).max(50).optional().describe('conversation keys only: web origins that may use it from a browser'),
  });
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

export const ApiKey = z.object({
  key_id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scope: z.enum(['admin', 'conversation']),
  bot_ids: z.array(z.string()).nullable(),
  allowed_origins: z.array(z.string()).nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});

export const CreateApiKeyResult = ApiKey.extend({ key: z.string().describe('The secret, shown only this once') });

export const RevokeApiKeyInput = z.strictObject({ key_id: Id('key', 'key') });
export const RevokeApiKeyResult = z.object({ key_id: z.string(), revoked_at: z.string() });

import { z } from 'zod';
import { PageQuery } from '../../core/http/schema.js';
import { BotId } from '../bots/schemas.js';

/** The caller's own id for an end user: any text up to 128 characters. */
export const UserId = z.string().trim().min(1).max(128);
const Tag = z.string().trim().min(1).max(50);
const AttributeValue = z.union([z.string().max(1000), z.number(), z.boolean()]);
const AttributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, 'attribute names are letters, digits and _ (max 50), not starting with a digit');
export const MAX_ATTRIBUTES = 50;

const UserFields = {
  phone: z.string().max(20).nullable().optional().describe('E.164; null removes it'),
  email: z.email('must be an email address').max(254).nullable().optional(),
  name: z.string().trim().min(1).max(100).nullable().optional(),
  tags: z.array(Tag).max(50).optional().describe('Replaces the user\'s tags'),
  attributes: z.record(AttributeName, AttributeValue.nullable()).optional().describe('Merged into the user\'s attributes; null removes one'),
  age_verified: z.boolean().optional().describe('The user confirmed they are 18 or older'),
};

export const CreateUserInput = z.strictObject({
  bot_id: BotId,
  user_id: UserId.optional().describe('Your id for this user; default: the phone number, else a generated id'),
  ...UserFields,
});
export type CreateUserInput = z.infer<typeof CreateUserInput>;

export const UpdateUserInput = z.strictObject({ bot_id: BotId, user_id: UserId, ...UserFields });
export type UpdateUserInput = z.infer<typeof UpdateUserInput>;

export const BlockUserInput = z.strictObject({ bot_id: BotId, user_id: UserId, blocked: z.boolean() });
export const UserRef = z.strictObject({ bot_id: BotId, user_id: UserId });

const Flag = z.enum(['true', 'false']).transform((v) => v === 'true');
export const GetUsersQuery = z.strictObject({
  bot_id: BotId,
  tag: Tag.optional(),
  opted_out: Flag.optional(),
  blocked: Flag.optional(),
  search: z.string().trim().min(1).max(100).optional().describe('Matches user id, name, email or phone'),
  ...PageQuery,
});
export type GetUsersQuery = z.infer<typeof GetUsersQuery>;

export const User = z
  .object({
    user_id: z.string(),
    bot_id: z.string(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    tags: z.array(z.string()),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    age_verified: z.boolean(),
    age_verified_at: z.string().nullable(),
    opted_out: z.boolean(),
    blocked: z.boolean(),
    first_seen_at: z.string().nullable(),
    last_seen_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'User' });

export const UserDetail = User.extend({
  channels: z.array(z.string()).describe('Channels the user has talked on'),
  message_counts: z.object({ user: z.number(), assistant: z.number(), operator: z.number() }),
});

export const DeleteUserResult = z.object({
  user_id: z.string(),
  deleted: z.literal(true),
  suppressed: z.boolean().describe('True when an opted-out number was kept on the suppression list'),
});

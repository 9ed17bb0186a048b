import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../src/core/context.js';
import { authenticateKey } from '../src/core/auth/keys.js';
import { resolveCreator } from '../src/features/bots/bot-access.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * The conversation API names its bot with `creator` (id or handle) next to `api_key`. The endpoints
 * arrive with the conversation engine; the resolution they will use is checked here on its own.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function ctxFor(key: string): Promise<ServiceContext> {
  const auth = await authenticateKey(h.database.db, key);
  return { ...h.server.deps, accountId: auth.accountId, actor: { type: 'key', id: auth.id }, key: auth, requestId: null, ip: null };
}

describe('creator resolution', () => {
  it('finds the bot by id or handle, never by display name, within the key\'s bots', async () => {
    const { key } = await h.signup();
    const handle = `fan-${Date.now()}`;
    const a = await h.createBot(key, { name: 'Shared name', handle });
    const b = await h.createBot(key, { name: 'Other' });
    const limited = (await h.request('POST', '/create_api_key', { key, body: { name: 'widget', scope: 'conversation', bot_ids: [a.bot_id] } })).body.key;
    const ctx = await ctxFor(limited);

    expect((await resolveCreator(ctx, a.bot_id)).id).toBe(a.bot_id);
    expect((await resolveCreator(ctx, handle.toUpperCase())).id).toBe(a.bot_id);
    await expect(resolveCreator(ctx, 'Shared name')).rejects.toMatchObject({ type: 'not_found', param: 'creator' });
    await expect(resolveCreator(ctx, b.bot_id)).rejects.toMatchObject({ type: 'forbidden', code: 'bot_not_allowed' });
  });

  it('does not reach another account\'s bot', async () => {
    const mine = await h.signup();
    const theirs = await h.signup();
    const foreign = await h.createBot(theirs.key, { handle: `theirs-${Date.now()}` });
    const ctx = await ctxFor(mine.key);
    await expect(resolveCreator(ctx, foreign.bot_id)).rejects.toMatchObject({ type: 'not_found' });
    await expect(resolveCreator(ctx, foreign.handle)).rejects.toMatchObject({ type: 'not_found' });
  });
});

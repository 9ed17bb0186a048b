import type { ServiceContext } from '../../core/context.js';
import { sha256Hex } from '../../core/crypto.js';
import { RateLimitedError } from '../../core/errors.js';
import { newId, randomToken } from '../../core/ids.js';
import { issueKey } from '../../core/auth/keys.js';
import { hitRateLimit } from '../../core/rate-limit.js';
import { writeAudit } from '../../core/audit.js';
import type { AppDeps } from '../../core/context.js';
import type { JobDefinition } from '../../jobs/queue.js';
import { insertBot } from './bots-service.js';
import type { CreateBotInput } from './schemas.js';

const TRIAL_HOURS = 24;

/**
 * Lets a visitor try a bot before signing up: the bot lives in a trial account with a conversation
 * key until /create_account claims it, or the expiry job removes it after 24 h.
 */
export async function createTrialBot({ ctx, input }: { ctx: ServiceContext; input: CreateBotInput }) {
  const quota = await hitRateLimit(ctx.db, `trial-bot:ip:${ctx.ip}`, 3600, ctx.config.TRIAL_BOTS_PER_IP_PER_HOUR);
  if (!quota.allowed) throw new RateLimitedError('Too many bots created from this address; sign up or try again later.', quota.resetSeconds);

  const claimToken = 'claim_' + randomToken(32);
  const expiresAt = new Date(Date.now() + TRIAL_HOURS * 3600_000);
  const accountId = newId('acct');
  return ctx.db.transaction().execute(async (trx) => {
    await trx.insertInto('accounts').values({ id: accountId, kind: 'trial', email: null, email_normalized: null, password_hash: null, name: null, expires_at: expiresAt }).execute();
    const own: ServiceContext = { ...ctx, accountId };
    const bot = await insertBot(trx, own, input, { claimTokenHash: sha256Hex(claimToken) });
    const key = await issueKey(trx, { accountId, name: 'Trial conversation key', kind: 'api', scope: 'conversation', botIds: [bot.id], expiresAt });
    await writeAudit(trx, own, { action: 'api_key.created', objectType: 'api_key', objectId: key.keyId, details: { scope: 'conversation', trial: true } });
    return { bot_id: bot.id, claim_token: claimToken, conversation_key: key.key, expires_at: expiresAt.toISOString() };
  });
}

export const EXPIRE_TRIALS_JOB = 'bots.expire-trials';

/** Deletes trial accounts (and so their unclaimed bot and conversation key) once they expire. */
export async function expireTrialBots(deps: AppDeps): Promise<number> {
  const res = await deps.db.deleteFrom('accounts').where('kind', '=', 'trial').where('expires_at', '<=', new Date()).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export function trialJobs(deps: AppDeps): JobDefinition[] {
  return [{ name: EXPIRE_TRIALS_JOB, cron: '*/15 * * * *', handle: async () => void (await expireTrialBots(deps)) }];
}

import type { AppDeps } from '../../core/context.js';
import type { OutboxConsumer } from '../outbox/relay.js';
import { draftOf, foldDrafts, type NotificationDraft } from './drafts.js';
import { settingsOf } from './settings.js';
import { storeDrafts } from './store.js';

/**
 * Outbox events the account wants to be emailed about become notification rows in the relay's
 * transaction (so none is lost or made twice), with the job that sends them. Accounts that do not want
 * an event, or have no address to send to, get nothing.
 */
export function notificationConsumers(deps: AppDeps): OutboxConsumer[] {
  return [
    {
      name: 'notifications',
      consume: async (trx, events) => {
        const drafts = events.map(draftOf).filter((d): d is NotificationDraft => d !== null);
        if (!drafts.length) return;
        const settings = await settingsOf(trx, [...new Set(drafts.map((d) => d.accountId))]);
        const wanted = drafts.filter((d) => {
          const s = settings.get(d.accountId);
          return s !== undefined && s.emails.length > 0 && s.events.includes(d.kind);
        });
        await storeDrafts(trx, deps.jobs, foldDrafts(wanted));
      },
    },
  ];
}

import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-end-users.js';
import * as m0003 from './0003-outbox.js';
import * as m0004 from './0004-conversation-turns.js';
import * as m0005 from './0005-feedback.js';
import * as m0006 from './0006-engine-policy.js';
import * as m0007 from './0007-message-tokens.js';
import * as m0008 from './0008-knowledge.js';
import * as m0009 from './0009-drop-passage-trigrams.js';
import * as m0010 from './0010-knowledge-terms.js';
import * as m0011 from './0011-messaging.js';
import * as m0012 from './0012-campaigns.js';
import * as m0013 from './0013-sandbox-numbers.js';
import * as m0014 from './0014-voice.js';
import * as m0015 from './0015-webhooks.js';
import * as m0016 from './0016-notifications.js';
import * as m0017 from './0017-billing.js';
import * as m0018 from './0018-analytics.js';
import * as m0019 from './0019-analytics-rollups.js';
import * as m0020 from './0020-message-dedupe-keys.js';

/** Every migration in order. Names are permanent: never rename or reorder an applied one. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-end-users': m0002,
  '0003-outbox': m0003,
  '0004-conversation-turns': m0004,
  '0005-feedback': m0005,
  '0006-engine-policy': m0006,
  '0007-message-tokens': m0007,
  '0008-knowledge': m0008,
  '0009-drop-passage-trigrams': m0009,
  '0010-knowledge-terms': m0010,
  '0011-messaging': m0011,
  '0012-campaigns': m0012,
  '0013-sandbox-numbers': m0013,
  '0014-voice': m0014,
  '0015-webhooks': m0015,
  '0016-notifications': m0016,
  '0017-billing': m0017,
  '0018-analytics': m0018,
  '0019-analytics-rollups': m0019,
  '0020-message-dedupe-keys': m0020,
};

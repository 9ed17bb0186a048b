import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { LIVE_STATUSES } from './call-records.js';

/**
 * add_message_to_conversation with `deliver: true` on a voice conversation: the words wait on the
 * conversation's live call as an operator turn and are spoken at the caller's next turn (or silence).
 * No live call: a 422, and (the caller's transaction) nothing is stored.
 */
export async function queueCallSpeech(trx: Transaction<DB>, at: { conversationId: string; messageId: string; role: string; content: string }): Promise<string> {
  if (at.role === 'user') throw unprocessable('cannot_deliver_user_message', 'Only operator and assistant messages can be delivered to the user.', 'deliver');
  const call = await trx
    .selectFrom('calls')
    .select('id')
    .where('conversation_id', '=', at.conversationId)
    .where('status', 'in', LIVE_STATUSES)
    .where('ended_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!call) throw unprocessable('no_live_call', 'This voice conversation has no call going on now, so nothing can be spoken; store the message without deliver.', 'deliver');
  await trx.insertInto('call_turns').values({ id: newId('ct'), call_id: call.id, role: 'operator', kind: 'speech', text: at.content, message_id: at.messageId, pending: true }).execute();
  return call.id;
}

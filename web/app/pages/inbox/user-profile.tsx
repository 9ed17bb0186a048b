import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api';
import { ErrorBanner, Field, formatTime, Loading, submitting, Toggle, useAction, useApi, valueOf } from '../../components/ui';

interface UserDetail {
  user_id: string;
  bot_id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  tags: string[];
  age_verified: boolean;
  opted_out: boolean;
  blocked: boolean;
  first_seen_at: string | null;
  last_seen_at: string | null;
  channels: string[];
  message_counts: { user: number; assistant: number; operator: number };
}

/** The end user beside their conversation: tags, flags, block and delete. */
export function UserProfile({ botId, userId, version, onDeleted }: { botId: string; userId: string; version?: string | null; onDeleted: () => void }) {
  // `version` (the conversation's last message time) reloads the counts when the conversation moves.
  const user = useApi(() => get<UserDetail>('/get_user', { bot_id: botId, user_id: userId }), [botId, userId, version]);
  const [u, setU] = useState<UserDetail | null>(null);
  useEffect(() => setU(user.data), [user.data]);
  const [tags, setTags] = useState('');
  useEffect(() => setTags(user.data?.tags.join(', ') ?? ''), [user.data]);

  const update = useAction(async (patch: Record<string, unknown>) => {
    const res = await post<UserDetail>('/update_user', { bot_id: botId, user_id: userId, ...patch });
    setU((old) => (old ? { ...old, ...res } : old));
  });
  const block = useAction(async (blocked: boolean) => {
    const res = await post<UserDetail>('/block_user', { bot_id: botId, user_id: userId, blocked });
    setU((old) => (old ? { ...old, blocked: res.blocked } : old));
  });
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async () => {
    await post('/delete_user', { bot_id: botId, user_id: userId });
    onDeleted();
  });

  if (user.loading && !u) return <Loading what="Loading the user" />;
  if (user.error) return <ErrorBanner error={user.error} />;
  if (!u) return null;
  return (
    <section class="card inbox-profile" aria-labelledby="profile-title">
      <h2 id="profile-title">User {u.name ? `${u.name} (${u.user_id})` : u.user_id}</h2>
      <dl class="inbox-facts">
        <dt>Phone</dt>
        <dd>{u.phone ?? '—'}</dd>
        <dt>Email</dt>
        <dd>{u.email ?? '—'}</dd>
        <dt>Channels</dt>
        <dd>{u.channels.join(', ') || '—'}</dd>
        <dt>Messages</dt>
        <dd>
          {u.message_counts.user} from the user, {u.message_counts.assistant} from the bot, {u.message_counts.operator} from operators
        </dd>
        <dt>First seen</dt>
        <dd>{formatTime(u.first_seen_at)}</dd>
        <dt>Last seen</dt>
        <dd>{formatTime(u.last_seen_at)}</dd>
        <dt>Opted out</dt>
        <dd>
          <span class={`badge ${u.opted_out ? 'bad' : ''}`}>{u.opted_out ? 'Opted out' : 'Subscribed'}</span>
        </dd>
        <dt>Status</dt>
        <dd>
          <span class={`badge ${u.blocked ? 'bad' : 'ok'}`}>{u.blocked ? 'Blocked' : 'Not blocked'}</span>
        </dd>
      </dl>
      <form
        onSubmit={submitting(() => update.run({ tags: tags.split(',').map((t) => t.trim()).filter(Boolean) }))}
      >
        <Field label="Tags" hint="Separated by commas">
          <input value={tags} onInput={(e) => setTags(valueOf(e))} />
        </Field>
        <button type="submit" disabled={update.busy}>
          Save tags
        </button>
      </form>
      <div class="actions inbox-flags">
        <Toggle label="Age verified" checked={u.age_verified} disabled={update.busy} onChange={(v) => void update.run({ age_verified: v })} />
        <Toggle label="Blocked" checked={u.blocked} disabled={block.busy} onChange={(v) => void block.run(v)} />
      </div>
      <ErrorBanner error={update.error} />
      <ErrorBanner error={block.error} />
      {confirming ? (
        <div class="notice-danger" role="group" aria-label="Delete this user">
          <p>This erases the user, their messages, calls and recordings. It cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" disabled={remove.busy} onClick={() => void remove.run()}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete user
        </button>
      )}
      <ErrorBanner error={remove.error} />
    </section>
  );
}

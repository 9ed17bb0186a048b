import { useState } from 'preact/hooks';
import { post, setSession, type Session } from '../api';
import { ErrorBanner, Field, SecretOnce, useAction, valueOf } from '../components/ui';
import { BASE, currentPath, navigate } from '../router';

/** Sign up and log in: both end with a dashboard session from /login. */
export default function AuthPage() {
  const signingUp = currentPath() === '/signup';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [firstKey, setFirstKey] = useState<string | null>(null);
  const action = useAction(async () => {
    let key: string | null = null;
    if (signingUp) key = (await post<{ api_key: string }>('/create_account', { email, password, ...(name ? { name } : {}) })).api_key;
    setSession(await post<Session>('/login', { email, password }));
    if (key) setFirstKey(key);
    else navigate('/');
  });

  if (firstKey) {
    return (
      <div class="card">
        <h1>Your account is ready</h1>
        <SecretOnce label="Your first admin API key" value={firstKey} />
        <button type="button" class="primary" onClick={() => navigate('/')}>
          Continue to the dashboard
        </button>
      </div>
    );
  }
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <h1>{signingUp ? 'Create your sinth account' : 'Log in to sinth'}</h1>
      {signingUp && (
        <Field label="Name">
          <input name="name" autocomplete="name" value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
      )}
      <Field label="Email">
        <input name="email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(valueOf(e))} />
      </Field>
      <Field label="Password" hint={signingUp ? 'At least 8 characters' : undefined}>
        <input name="password" type="password" autocomplete={signingUp ? 'new-password' : 'current-password'} required value={password} onInput={(e) => setPassword(valueOf(e))} />
      </Field>
      <ErrorBanner error={action.error} />
      <button type="submit" class="primary" disabled={action.busy}>
        {signingUp ? 'Sign up' : 'Log in'}
      </button>
      <p>
        {signingUp ? (
          <>
            Have an account? <a href={`${BASE}/login`}>Log in</a>
          </>
        ) : (
          <>
            New here? <a href={`${BASE}/signup`}>Create an account</a>
          </>
        )}
      </p>
    </form>
  );
}

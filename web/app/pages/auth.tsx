import { useState } from 'preact/hooks';
import { post, setSession, type Session } from '../api';
import { ErrorBanner, Field, SecretOnce, submitting, useAction, valueOf } from '../components/ui';
import { BASE, currentPath, navigate } from '../router';

/** Sign up and log in: both end with a dashboard session from /login. */
export default function AuthPage() {
  const signingUp = currentPath() === '/signup';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [firstKey, setFirstKey] = useState<string | null>(null);
  const [loggedIn, setLoggedIn] = useState(false);
  const login = async () => {
    setSession(await post<Session>('/login', { email, password }));
    setLoggedIn(true);
  };
  const action = useAction(async () => {
    if (signingUp) {
      // Kept before logging in: the key is shown only once, and a failed login must not lose it.
      setFirstKey((await post<{ api_key: string }>('/create_account', { email, password, ...(name ? { name } : {}) })).api_key);
    }
    await login();
    if (!signingUp) navigate('/');
  });
  // After a failed login the account exists already: continuing tries the login again.
  const proceed = useAction(async () => {
    if (!loggedIn) await login();
    navigate('/');
  });

  if (firstKey) {
    return (
      <div class="card">
        <h1>Your account is ready</h1>
        <SecretOnce label="Your first admin API key" value={firstKey} />
        <ErrorBanner error={proceed.error ?? action.error} />
        <button type="button" class="primary" onClick={() => void proceed.run()} disabled={action.busy || proceed.busy}>
          Continue to the dashboard
        </button>
      </div>
    );
  }
  return (
    <form
      class="card"
      onSubmit={submitting(() => action.run())}
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

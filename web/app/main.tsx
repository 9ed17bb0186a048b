import { render, type FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { getSession, post, setSession, whenUnauthorized } from './api';
import { ErrorBanner, Loading } from './components/ui';
import { ROUTES, type RouteDef } from './routes';
import { BASE, match, navigate, onLinkClick, usePath } from './router';

type Loaded = FunctionComponent<{ params: Record<string, string> }>;
const loaded = new Map<RouteDef, Loaded>();

function resolve(path: string): { route: RouteDef; params: Record<string, string> } | null {
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

function RoutePage({ route, params }: { route: RouteDef; params: Record<string, string> }) {
  const [Comp, setComp] = useState<Loaded | null>(() => loaded.get(route) ?? null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const known = loaded.get(route);
    if (known) return setComp(() => known);
    setComp(null);
    route.load().then(
      (m) => {
        loaded.set(route, m.default);
        setComp(() => m.default);
      },
      setError,
    );
  }, [route]);
  if (error) return <ErrorBanner error={error} />;
  return Comp ? <Comp params={params} /> : <Loading />;
}

function Nav({ path }: { path: string }) {
  const [open, setOpen] = useState(false);
  const logout = async () => {
    const s = getSession();
    // Revoke the session server-side too: a copied token stops working at once.
    if (s) await post('/revoke_api_key', { key_id: s.key_id }).catch(() => undefined);
    setSession(null);
    navigate('/login');
  };
  return (
    <nav class={`nav ${open ? 'open' : ''}`} aria-label="Main">
      <div class="brand">
        <a href={`${BASE}`}>sinth</a>
        <button type="button" class="menu" aria-expanded={open} aria-controls="nav-links" onClick={() => setOpen(!open)}>
          Menu
        </button>
      </div>
      <ul id="nav-links" onClick={() => setOpen(false)}>
        {ROUTES.filter((r) => r.nav).map((r) => (
          <li key={r.pattern}>
            <a href={`${BASE}${r.pattern === '/' ? '' : r.pattern}`} aria-current={path === r.pattern ? 'page' : undefined}>
              {r.nav}
            </a>
          </li>
        ))}
        <li>
          <button type="button" class="link" onClick={logout}>
            Log out
          </button>
        </li>
      </ul>
    </nav>
  );
}

function App() {
  const path = usePath();
  const found = resolve(path);
  useEffect(() => whenUnauthorized(() => navigate('/login')), []);
  useEffect(() => {
    if (found && !found.route.public && !getSession()) navigate('/login', true);
  }, [path]);
  if (!found) {
    return (
      <main class="main" id="main">
        <h1>Not found</h1>
        <p>
          There is no page at {path}. <a href={BASE}>Go to your bots</a>.
        </p>
      </main>
    );
  }
  if (found.route.public) {
    return (
      <main class="main auth" id="main">
        <RoutePage route={found.route} params={found.params} />
      </main>
    );
  }
  if (!getSession()) return null;
  return (
    <div class="shell">
      <Nav path={path} />
      <main class="main" id="main">
        {/* Keyed by the path: /bots/A and /bots/B share a pattern, and B must not keep A's form state. */}
        <RoutePage key={path} route={found.route} params={found.params} />
      </main>
    </div>
  );
}

document.addEventListener('click', onLinkClick);
render(<App />, document.getElementById('root')!);

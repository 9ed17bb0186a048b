import type { FunctionComponent } from 'preact';

type PageModule = { default: FunctionComponent<{ params: Record<string, string> }> };

export interface RouteDef {
  pattern: string;
  load: () => Promise<PageModule>;
  /** Shown in the navigation when set. */
  nav?: string;
  /** Pages that need no session (sign up, log in). */
  public?: boolean;
}

// Each page is its own chunk, loaded when first visited.
export const ROUTES: RouteDef[] = [
  { pattern: '/login', load: () => import('./pages/auth'), public: true },
  { pattern: '/signup', load: () => import('./pages/auth'), public: true },
  { pattern: '/', load: () => import('./pages/bots'), nav: 'Bots' },
  { pattern: '/bots/:id', load: () => import('./pages/bot-editor') },
  { pattern: '/bots/:id/knowledge', load: () => import('./pages/knowledge') },
  { pattern: '/bots/:id/playground', load: () => import('./pages/playground') },
  { pattern: '/inbox', load: () => import('./pages/inbox'), nav: 'Inbox' },
  { pattern: '/numbers', load: () => import('./pages/numbers'), nav: 'Numbers' },
  { pattern: '/calls', load: () => import('./pages/calls'), nav: 'Calls' },
  { pattern: '/campaigns', load: () => import('./pages/campaigns'), nav: 'Campaigns' },
  { pattern: '/analytics', load: () => import('./pages/analytics'), nav: 'Analytics' },
  { pattern: '/webhooks', load: () => import('./pages/webhooks'), nav: 'Webhooks' },
  { pattern: '/notifications', load: () => import('./pages/notifications'), nav: 'Notifications' },
  { pattern: '/billing', load: () => import('./pages/billing'), nav: 'Billing' },
  { pattern: '/keys', load: () => import('./pages/keys'), nav: 'API keys' },
  { pattern: '/activity', load: () => import('./pages/activity'), nav: 'Activity' },
];

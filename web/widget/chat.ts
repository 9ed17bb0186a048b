// The live widget: appearance and policy from the API, history, streamed replies, the age gate.
import { reuseIdempotencyKey } from '../shared/idempotency.js';
import { followTurn } from '../shared/sse.js';
import { createClient } from './client.js';
import { DEFAULT_UI, historyToShow, normalizeUi, safeStore, storageKey, userIdFor, uuidFromBytes } from './logic.js';
import type { WidgetUi } from './types.js';
import { createView, setBubbleText } from './view.js';

const uuid = () => uuidFromBytes(crypto.getRandomValues(new Uint8Array(16)));

export interface WidgetConfig {
  /** The origin /widget.js was loaded from: every call goes there. */
  host: string;
  bot: string;
  key: string;
}

interface Setup {
  ui: WidgetUi;
  ageGate: boolean;
  ageMessage: string;
  opening: string;
  /** Why the server refused (the key's origin, a revoked key…), in its words. */
  error: string | null;
}

export function startWidget(cfg: WidgetConfig): void {
  const api = createClient(cfg.host, cfg.key);
  const store = safeStore(() => window.localStorage);
  const userId = userIdFor(store, cfg.bot, uuid);
  const ageKey = storageKey(cfg.bot, 'age');

  const hostEl = document.createElement('div');
  hostEl.setAttribute('data-sinth-widget', cfg.bot);
  const view = createView(hostEl, { hostOrigin: cfg.host });
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)');
  let ui: WidgetUi = { ...DEFAULT_UI, title: 'Chat' };
  const paint = () => view.applyUi(ui, !!dark?.matches);
  paint();
  dark?.addEventListener?.('change', paint);
  document.body.append(hostEl);

  // data-bot is the bot's id or its handle: the widget's reads take either as `creator`.
  const q = { creator: cfg.bot };
  const uiCall = api.get('/get_ui', q).then((u) => {
    if (u.ok) {
      ui = normalizeUi(u.body?.ui);
      paint();
    }
    return u;
  });
  // The policy and the greeting are read when the visitor goes for the chat: a page view that never
  // opens it costs one call.
  let setup: Promise<Setup> | null = null;
  const loadSetup = () =>
    (setup ??= (async () => {
      const [u, p, o] = await Promise.all([uiCall, api.get('/get_policy', q), api.get('/get_opening_message', q)]);
      const failed = [u, p, o].find((r) => !r.ok);
      // A refusal or a network failure is asked again at the next opening.
      if (failed) setup = null;
      return {
        ui,
        ageGate: p.body?.policy?.age_gate === true,
        ageMessage: String(p.body?.policy?.age_confirmation_message ?? ''),
        opening: String(o.body?.opening_message ?? ''),
        error: failed ? failed.message : null,
      };
    })());

  let started = false;
  let busy = false;
  let pending: { text: string; key: string } | null = null;
  let greeting: HTMLElement | null = null;
  // The first opening's setup and history reads: a message is posted only after they are back, or the
  // history could already hold that message and show it a second time.
  let history: Promise<void> = Promise.resolve();
  const ageConfirmed = () => store.getItem(ageKey) === '1';

  const showAlert = (msg: string) => {
    view.alert.textContent = msg;
  };

  const open = async () => {
    view.setOpen(true);
    if (!started) {
      started = true;
      // Set now, not once the setup is in: a message sent while it loads waits for the history too.
      history = loadSetup().then((s) => {
        if (s.error) showAlert(s.error);
        if (s.ageGate && !ageConfirmed()) showGate(s);
        else return loadHistory(s);
      });
    }
    await loadSetup();
    if (view.panel.hidden) return;
    (view.gate.hidden ? view.input : (view.gate.querySelector('button') ?? view.gate)).focus();
  };

  const close = () => {
    view.setOpen(false);
    view.launcher.focus();
  };

  const showGate = (s: Setup) => {
    view.gateText.textContent = s.ageMessage;
    view.gate.hidden = false;
    view.compose.hidden = true;
    view.log.hidden = true;
  };

  view.confirm.addEventListener('click', async () => {
    store.setItem(ageKey, '1');
    view.gate.hidden = true;
    view.compose.hidden = false;
    view.log.hidden = false;
    view.input.focus();
    history = loadSetup().then(loadHistory);
  });
  view.leave.addEventListener('click', () => {
    view.gate.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'This chat is for adults only.' }));
    view.gate.setAttribute('tabindex', '-1');
    view.gate.focus();
  });

  const loadHistory = async (s: Setup) => {
    const loading = view.note('Loading the conversation…');
    const r = await api.get('/get_conversation_external', { creator: cfg.bot, user_id: userId, limit: '50' });
    loading.remove();
    const first = view.log.firstChild;
    const shown = r.ok ? historyToShow(r.body?.data) : [];
    if (!r.ok && !s.error) showAlert(r.message);
    if (!shown.length && s.opening && !first) greeting = view.message('assistant', s.opening);
    for (const m of shown) view.message(m.role, m.content, first);
    view.scroll();
  };

  const send = async () => {
    const text = view.input.value.trim();
    if (!text || busy) return;
    busy = true;
    view.send.disabled = true;
    showAlert('');
    if (!pending || pending.text !== text) pending = { text, key: uuid() };
    const mine = view.message('user', text);
    view.input.value = '';
    let reply: HTMLElement | null = null;
    // Once the stream has started, the server has stored the message: a failure after that leaves it
    // shown as unanswered (sending it again would store it twice).
    let stored = false;
    const fail = (status: number, message: string) => {
      if (stored) {
        reply?.remove();
        mine.classList.add('unanswered');
        pending = null;
        return showAlert(message);
      }
      mine.remove();
      reply?.remove();
      if (!view.input.value) view.input.value = text;
      if (!reuseIdempotencyKey(status)) pending = null;
      showAlert(message);
    };
    try {
      await history;
      const body: Record<string, unknown> = { creator: cfg.bot, user_id: userId, message: text, stream: true };
      if (ageConfirmed()) body.age_confirmed = true;
      const r = await api.converse(body, pending.key);
      if ('error' in r) return fail(r.error.status, r.error.message);
      let done: any;
      if ((r.res.headers.get('content-type') ?? '').includes('text/event-stream')) {
        view.log.setAttribute('aria-busy', 'true');
        reply = view.message('assistant', '');
        reply.classList.add('typing');
        const bubble = reply;
        try {
          done = await followTurn(r.res, {
            onText: (t) => {
              setBubbleText(bubble, t);
              view.scroll();
            },
            onStart: (d) => {
              stored = true;
              if (!d.opening_message) return;
              if (greeting) setBubbleText(greeting, d.opening_message);
              else greeting = view.message('assistant', d.opening_message, mine);
            },
          });
        } catch (err) {
          const e = err as { status?: number; message?: string };
          return fail(e.status ?? 0, e.message || 'The reply failed. Please try again.');
        }
      } else {
        // A retry the server had already answered comes back as the stored JSON.
        done = await r.res.json().catch(() => null);
      }
      pending = null;
      reply ??= view.message('assistant', '');
      reply.classList.remove('typing');
      if (done?.message_id && done.reply) setBubbleText(reply, done.reply);
      else {
        reply.remove();
        if (done?.takeover) view.note('A person will answer here.');
      }
    } finally {
      busy = false;
      view.send.disabled = false;
      view.log.removeAttribute('aria-busy');
      view.scroll();
    }
  };

  view.launcher.addEventListener('click', () => (view.panel.hidden ? void open() : close()));
  for (const warm of ['pointerenter', 'focus']) view.launcher.addEventListener(warm, () => void loadSetup());
  view.close.addEventListener('click', close);
  view.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  view.compose.addEventListener('submit', (e) => {
    e.preventDefault();
    void send();
  });
  view.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  });
}

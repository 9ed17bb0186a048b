// The widget's DOM, shared by the real widget and the dashboard's preview. Touches `document` only
// when called, never at import.
import { avatarAllowed, initialOf, resolvePalette } from './logic.js';
import { WIDGET_CSS } from './styles.js';
import type { WidgetUi } from './types.js';

const SVG = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...kids);
  return node;
}

function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({ width: '20', height: '20', viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false' })) svg.setAttribute(k, v);
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

const CHAT_ICON = 'M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z';
const CLOSE_ICON = 'M6 6l12 12M18 6L6 18';

/** Puts the CSS into the shadow root: a constructed sheet where supported (no CSP style-src needed). */
function adoptCss(root: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(el('style', {}, WIDGET_CSS));
  }
}

export interface View {
  root: HTMLElement;
  launcher: HTMLButtonElement;
  panel: HTMLElement;
  close: HTMLButtonElement;
  log: HTMLElement;
  alert: HTMLElement;
  compose: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  gate: HTMLElement;
  gateText: HTMLElement;
  confirm: HTMLButtonElement;
  leave: HTMLButtonElement;
  applyUi(ui: WidgetUi, prefersDark: boolean): void;
  setOpen(open: boolean): void;
  /** A message bubble at the end of the log (or before `before`). */
  message(role: 'user' | 'assistant', text: string, before?: Node | null): HTMLElement;
  note(text: string): HTMLElement;
  scroll(): void;
}

let seq = 0;

/** Builds the launcher and panel inside a new open shadow root of `host`. */
export function createView(host: HTMLElement, opts: { hostOrigin: string; preview?: boolean }): View {
  const shadow = host.attachShadow({ mode: 'open' });
  adoptCss(shadow);
  const id = `sinth-${++seq}`;
  const label = el('span', {}, '');
  const chatIcon = icon(CHAT_ICON);
  const closeIcon = icon(CLOSE_ICON);
  const launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': `${id}-panel` }, chatIcon, label);
  const avatar = el('span', { class: 'avatar', 'aria-hidden': 'true' });
  const title = el('h2', { id: `${id}-title` });
  const close = el('button', { type: 'button', class: 'icon', 'aria-label': 'Close chat' }, icon(CLOSE_ICON));
  const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions text', 'aria-label': 'Messages', tabindex: '-1' });
  const alert = el('div', { class: 'alert', role: 'alert' });
  const gateText = el('p');
  const confirm = el('button', { type: 'button', class: 'btn' }, 'I am 18 or older');
  const leave = el('button', { type: 'button', class: 'btn alt' }, 'Leave');
  const gate = el('div', { class: 'gate', hidden: '' }, gateText, el('div', {}, confirm, leave));
  const input = el('textarea', { rows: '1', 'aria-label': 'Message', placeholder: 'Type a message', maxlength: '4000', enterkeyhint: 'send' });
  const send = el('button', { type: 'submit', class: 'btn' }, 'Send');
  const compose = el('form', { class: 'compose', 'aria-label': 'Send a message' }, input, send);
  const panel = el(
    'div',
    { class: 'panel', id: `${id}-panel`, role: 'dialog', 'aria-labelledby': `${id}-title`, hidden: '' },
    el('div', { class: 'head' }, avatar, title, close),
    log,
    alert,
    gate,
    compose,
  );
  const root = el('div', { class: opts.preview ? 'root preview' : 'root' }, panel, launcher);
  shadow.append(root);
  let launcherText = '';

  const view: View = {
    root,
    launcher,
    panel,
    close,
    log,
    alert,
    compose,
    input,
    send,
    gate,
    gateText,
    confirm,
    leave,
    applyUi(ui, prefersDark) {
      const p = resolvePalette(ui, prefersDark);
      const vars: Record<string, string> = { '--p': p.primary, '--op': p.onPrimary, '--bg': p.bg, '--fg': p.fg, '--sf': p.surface, '--bd': p.border, '--fc': p.focus };
      for (const [k, v] of Object.entries(vars)) root.style.setProperty(k, v);
      root.style.colorScheme = p.dark ? 'dark' : 'light';
      root.classList.toggle('left', ui.position === 'bottom-left');
      title.textContent = ui.title;
      label.textContent = launcherText = ui.launcher_text;
      if (avatarAllowed(ui.avatar_url, opts.hostOrigin)) avatar.replaceChildren(el('img', { src: ui.avatar_url!, alt: '' }));
      else avatar.replaceChildren(initialOf(ui.title));
      view.setOpen(root.classList.contains('open'));
    },
    setOpen(open) {
      root.classList.toggle('open', open);
      panel.hidden = !open;
      launcher.setAttribute('aria-expanded', String(open));
      // Open, the launcher is a close button: its visible content says so too. The preview keeps the
      // launcher text in view, as that is what a creator is styling.
      const x = open && !opts.preview;
      launcher.setAttribute('aria-label', x ? 'Close chat' : `Open chat: ${launcherText}`);
      launcher.replaceChildren(...(x ? [closeIcon] : [chatIcon, label]));
      launcher.classList.toggle('x', x);
    },
    message(role, text, before = null) {
      const m = el('div', { class: `msg ${role}` }, el('span', { class: 'sr' }, role === 'user' ? 'You: ' : `${title.textContent}: `), el('span', {}, text));
      log.insertBefore(m, before);
      view.scroll();
      return m;
    },
    note(text) {
      const n = el('p', { class: 'note' }, text);
      log.append(n);
      view.scroll();
      return n;
    },
    scroll() {
      log.scrollTop = log.scrollHeight;
    },
  };
  return view;
}

/** The text part of a bubble made by `message` (after the screen-reader name). */
export function setBubbleText(bubble: HTMLElement, text: string): void {
  const span = bubble.lastElementChild;
  if (span) span.textContent = text;
}

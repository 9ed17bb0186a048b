// The dashboard's live preview of the widget: the same view and CSS, open, with sample messages and
// no network calls.
import { normalizeUi } from './logic.js';
import type { WidgetUi } from './types.js';
import { createView } from './view.js';

export type { WidgetUi } from './types.js';

export function mountWidgetPreview(host: HTMLElement, opts: { ui: WidgetUi; openingMessage: string }): { update(opts: { ui: WidgetUi; openingMessage: string }): void; destroy(): void } {
  const box = document.createElement('div');
  box.style.position = 'relative';
  box.style.width = '100%';
  box.style.height = '100%';
  host.append(box);
  const view = createView(box, { hostOrigin: location.origin, preview: true });
  view.launcher.tabIndex = -1;
  view.close.tabIndex = -1;
  view.input.disabled = true;
  view.send.disabled = true;
  view.input.placeholder = 'Preview: sending is off';
  view.log.setAttribute('aria-live', 'off');
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)');
  let current = opts;

  const render = () => {
    const ui = normalizeUi(current.ui);
    view.applyUi(ui, !!dark?.matches);
    view.setOpen(true);
    view.log.replaceChildren();
    if (current.openingMessage) view.message('assistant', current.openingMessage);
    view.message('user', 'Hi! What can you help me with?');
    view.message('assistant', `I'm ${ui.title}. Ask me anything and I'll answer right here.`);
  };
  render();
  dark?.addEventListener?.('change', render);

  return {
    update(next) {
      current = next;
      render();
    },
    destroy() {
      dark?.removeEventListener?.('change', render);
      box.remove();
    },
  };
}

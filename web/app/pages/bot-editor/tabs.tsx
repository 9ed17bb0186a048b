import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

/** WAI-ARIA tabs: arrow keys, Home and End move between tabs; only the chosen panel is rendered. */
export function Tabs({ id, tabs, active, onChange, children }: { id: string; tabs: Array<[string, string]>; active: string; onChange: (key: string) => void; children: ComponentChildren }) {
  const list = useRef<HTMLDivElement>(null);
  const focus = (i: number) => {
    const n = (i + tabs.length) % tabs.length;
    onChange(tabs[n]![0]);
    list.current?.querySelectorAll<HTMLButtonElement>('[role=tab]')[n]?.focus();
  };
  const at = tabs.findIndex(([k]) => k === active);
  return (
    <>
      <div
        class="tabs"
        role="tablist"
        aria-label="Bot settings"
        ref={list}
        onKeyDown={(e) => {
          if (e.key === 'ArrowRight') focus(at + 1);
          else if (e.key === 'ArrowLeft') focus(at - 1);
          else if (e.key === 'Home') focus(0);
          else if (e.key === 'End') focus(tabs.length - 1);
          else return;
          e.preventDefault();
        }}
      >
        {tabs.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            id={`${id}-tab-${key}`}
            aria-selected={key === active}
            aria-controls={`${id}-panel-${key}`}
            tabIndex={key === active ? 0 : -1}
            onClick={() => onChange(key)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel-${active}`} aria-labelledby={`${id}-tab-${active}`} tabIndex={0} class="tabpanel">
        {children}
      </div>
    </>
  );
}

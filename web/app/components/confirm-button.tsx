import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A destructive button with an in-page confirm step (window.confirm is modal, unstyled and easy to
 * click through). The second step says what will happen; focus moves to its confirm button.
 */
export function ConfirmButton(props: { label: string; /** A longer accessible name that starts with the label (which object it acts on). */ name?: string; question: ComponentChildren; confirmLabel: string; onConfirm: () => void; busy?: boolean }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" aria-label={props.name} onClick={() => setAsking(true)} disabled={props.busy}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.name ?? props.label}>
      <span>{props.question}</span>{' '}
      <button
        ref={yes}
        type="button"
        class="danger"
        disabled={props.busy}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

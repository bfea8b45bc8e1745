import { useEffect, useRef, useState, type RefObject } from 'react';
import '../styles/popover.css';

/**
 * While `active`, Escape or a press outside the element in `ref` calls `onDismiss`, so a forgotten popover
 * never hides the page.
 */
export function useDismiss(ref: RefObject<HTMLElement | null>, active: boolean, onDismiss: () => void) {
  // The latest callback, without re-adding the listeners on every render.
  const dismiss = useRef(onDismiss);
  dismiss.current = onDismiss;
  useEffect(() => {
    if (!active) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') dismiss.current();
    };
    const onDown = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) dismiss.current();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [active, ref]);
}

/** Which of several popovers anchored in `ref`'s element is open (null: none); dismissed as `useDismiss` says. */
export function usePopoverOf<K, E extends HTMLElement = HTMLDivElement>() {
  const [open, setOpen] = useState<K | null>(null);
  const ref = useRef<E>(null);
  useDismiss(ref, open !== null, () => setOpen(null));
  return { open, setOpen, ref };
}

/** The open state of one popover anchored in `ref`'s element. */
export function usePopover<E extends HTMLElement = HTMLDivElement>() {
  const [open, setOpen] = useState(false);
  const ref = useRef<E>(null);
  useDismiss(ref, open, () => setOpen(false));
  return { open, setOpen, ref };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from './problems';

export type Loaded<T> = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; value: T };

/** `load` run on mount, when `key` changes and on `reload()`; aborted when the page goes away. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key = '') {
  // The answer remembers the key it was loaded for: a new key shows "loading", never the old answer.
  const [answer, setAnswer] = useState<{ key: string; state: Loaded<T> }>({ key, state: { kind: 'loading' } });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const controller = new AbortController();
    latest.current(controller.signal).then(
      (value) => setAnswer({ key, state: { kind: 'ready', value } }),
      (err: unknown) => {
        if (!controller.signal.aborted) setAnswer({ key, state: { kind: 'error', message: messageOf(err) } });
      },
    );
    return () => controller.abort();
  }, [key, round]);
  // A reload keeps showing the current answer until the new one arrives: lists do not flicker.
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const update = useCallback((change: (value: T) => T) => {
    setAnswer((current) =>
      current.state.kind === 'ready' ? { ...current, state: { kind: 'ready', value: change(current.state.value) } } : current,
    );
  }, []);
  const state: Loaded<T> = answer.key === key ? answer.state : { kind: 'loading' };
  return { state, reload, update };
}

/** The team's sources a chart can read (logs, traces, sessions), loaded once per page. */
import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Source } from '../types';

export type SourcesState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; sources: Source[] };

export function useSources(kinds: ReadonlySet<string>): SourcesState {
  const [state, setState] = useState<SourcesState>({ kind: 'loading' });
  useEffect(() => {
    let live = true;
    api.sources().then(
      (all) => live && setState({ kind: 'ready', sources: all.filter((s) => kinds.has(s.kind)) }),
      (err: Error) => live && setState({ kind: 'error', message: err.message }),
    );
    return () => {
      live = false;
    };
  }, [kinds]);
  return state;
}

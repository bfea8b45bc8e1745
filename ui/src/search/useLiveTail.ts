/**
 * Live tail: poll `POST /api/search/tail` every two seconds for rows newer than the newest one shown,
 * and hand them over newest first. Stops while paused (the user scrolled down to read) or hidden.
 */
import { useEffect, useRef } from 'react';
import { searchApi, type SearchScope } from '../searchApi';
import type { Row } from '../types';

export const TAIL_INTERVAL_MS = 2000;
const TAIL_LIMIT = 500;

interface Options {
  enabled: boolean;
  /** The search to follow; `since` set, so each poll reaches up to now. */
  scope: SearchScope | null;
  select: string[] | undefined;
  /** The newest row shown when the tail starts (null: none, so from the range's start). */
  newestId: string | null;
  onRows: (rows: Row[]) => void;
  onError: (message: string) => void;
}

export function useLiveTail({ enabled, scope, select, newestId, onRows, onError }: Options): void {
  // The latest callbacks and starting point, without restarting the loop on every render.
  const latest = useRef({ onRows, onError, newestId });
  latest.current = { onRows, onError, newestId };
  const scopeKey = JSON.stringify([scope, select]);

  useEffect(() => {
    if (!enabled || !scope) return;
    const abort = new AbortController();
    let after = latest.current.newestId ?? undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      if (document.hidden) {
        timer = setTimeout(() => void poll(), TAIL_INTERVAL_MS);
        return;
      }
      let again = TAIL_INTERVAL_MS;
      try {
        const answer = await searchApi.tail({ ...scope, select, after, limit: TAIL_LIMIT }, abort.signal);
        if (answer.rows.length > 0) latest.current.onRows([...answer.rows].reverse());
        after = answer.after ?? after;
        if (answer.more) again = 0;
      } catch (err) {
        if (abort.signal.aborted) return;
        latest.current.onError(err instanceof Error ? err.message : String(err));
        again = TAIL_INTERVAL_MS * 3;
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void poll(), again);
    };
    timer = setTimeout(() => void poll(), TAIL_INTERVAL_MS);
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // scopeKey stands for scope and select.
  }, [enabled, scopeKey]);
}

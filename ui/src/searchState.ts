/** What the Search page shows, kept in the URL (`?source=2&q=error&range=1h`) so it can be shared. */
import { DEFAULT_RANGE, isRange, type RangeKey } from './time';

export interface SearchState {
  source: number | null;
  query: string;
  range: RangeKey;
}

export const EMPTY_SEARCH: SearchState = { source: null, query: '', range: DEFAULT_RANGE };

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  const parsed = Number(value);
  return parsed > 0 ? parsed : null;
}

/** The state a URL's search params describe; anything missing or malformed falls back to the default. */
export function parseSearchState(params: URLSearchParams): SearchState {
  const range = params.get('range');
  return {
    source: positiveInt(params.get('source')),
    query: params.get('q') ?? '',
    range: isRange(range) ? range : DEFAULT_RANGE,
  };
}

/** The search params for a state, leaving out defaults so URLs stay short. */
export function toSearchParams(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.source !== null) params.set('source', String(state.source));
  if (state.query !== '') params.set('q', state.query);
  if (state.range !== DEFAULT_RANGE) params.set('range', state.range);
  return params;
}

export function sameSearch(a: SearchState, b: SearchState): boolean {
  return a.source === b.source && a.query === b.query && a.range === b.range;
}

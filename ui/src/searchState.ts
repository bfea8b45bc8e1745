/**
 * What the Search page shows, kept whole in the URL so a link (or a reload) shows the same thing:
 * `?source=2&q=level:error&lang=sql&range=1h` or `&from=…&to=…`, `&col=Timestamp&col=Body`, `&row=<id>`,
 * `&view=patterns`, `&saved=<id>`. Defaults are left out, malformed values fall back to them.
 */
import { DEFAULT_TIME, setTimeParams, timeFromParams, type TimeSpec } from './time';

export type Language = 'lucene' | 'sql';
export type View = 'results' | 'patterns';

export interface SearchState {
  source: number | null;
  query: string;
  language: Language;
  time: TimeSpec;
  /** The columns to show; null: the source's default select list. */
  columns: string[] | null;
  /** The row whose details are open in the side panel. */
  row: string | null;
  view: View;
  /** The saved search this state was opened from (Save then updates it). */
  saved: number | null;
}

export const EMPTY_SEARCH: SearchState = {
  source: null,
  query: '',
  language: 'lucene',
  time: DEFAULT_TIME,
  columns: null,
  row: null,
  view: 'results',
  saved: null,
};

/** The API's limits: 100 columns of up to 1,000 characters each; row ids of up to 200. */
const MAX_COLUMNS = 100;
const MAX_COLUMN_CHARS = 1000;
const MAX_ROW_ID_CHARS = 200;

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  const parsed = Number(value);
  return parsed > 0 ? parsed : null;
}

function parseColumns(params: URLSearchParams): string[] | null {
  const columns = params
    .getAll('col')
    .map((column) => column.trim())
    .filter((column) => column !== '' && column.length <= MAX_COLUMN_CHARS);
  const unique = [...new Set(columns)].slice(0, MAX_COLUMNS);
  return unique.length > 0 ? unique : null;
}

/** The state a URL's search params describe; anything missing or malformed falls back to the default. */
export function parseSearchState(params: URLSearchParams): SearchState {
  const row = params.get('row');
  return {
    source: positiveInt(params.get('source')),
    query: params.get('q') ?? '',
    language: params.get('lang') === 'sql' ? 'sql' : 'lucene',
    time: timeFromParams(params),
    columns: parseColumns(params),
    row: row !== null && row !== '' && row.length <= MAX_ROW_ID_CHARS ? row : null,
    view: params.get('view') === 'patterns' ? 'patterns' : 'results',
    saved: positiveInt(params.get('saved')),
  };
}

/** The search params for a state, leaving out defaults so URLs stay short. */
export function toSearchParams(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.source !== null) params.set('source', String(state.source));
  if (state.query !== '') params.set('q', state.query);
  if (state.language === 'sql') params.set('lang', 'sql');
  setTimeParams(params, state.time);
  for (const column of state.columns ?? []) params.append('col', column);
  if (state.view === 'patterns') params.set('view', 'patterns');
  if (state.row !== null) params.set('row', state.row);
  if (state.saved !== null) params.set('saved', String(state.saved));
  return params;
}

export function sameSearch(a: SearchState, b: SearchState): boolean {
  return toSearchParams(a).toString() === toSearchParams(b).toString();
}

/**
 * A select list ("Timestamp, round(Duration / 1e6), LogAttributes['a,b']") split at its top-level
 * commas: commas inside brackets, parentheses or quotes belong to a column.
 */
export function splitSelect(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < list.length; i += 1) {
    const ch = list[i] ?? '';
    if (quote !== null) {
      current += ch;
      if (ch === '\\') {
        current += list[i + 1] ?? '';
        i += 1;
      } else if (ch === quote) {
        quote = null;
      }
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[') depth += 1;
    else if ((ch === ')' || ch === ']') && depth > 0) depth -= 1;
    else if (ch === ',' && depth === 0) {
      if (current.trim() !== '') out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

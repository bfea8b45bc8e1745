/** The search page's API calls and answer shapes (see src/otelhouse/app/routes/search.py). */
import { request } from './api';
import type { Language } from './searchState';
import type { Column, Row, Source } from './types';
import type { SourceColumns } from './search/completion';

/** A source as `GET /api/team/sources` gives it, with the column roles the UI uses for completion. */
export type SearchSource = Source & { columns?: SourceColumns };

/** What every search request says. `start`/`end` are ISO UTC; `since` a duration up to now. */
export interface SearchScope {
  source_id: number;
  query: string;
  language: Language;
  start?: string;
  end?: string;
  since?: string;
}

export interface RowsPage {
  columns: Column[];
  rows: Row[];
  next_cursor: string | null;
  start: string;
  end: string;
  partial: boolean;
  elapsed_ms: number;
}

export interface HistogramAnswer {
  bucket_seconds: number;
  buckets: string[];
  series: { name: string; counts: number[] }[];
  split_by: string | null;
  total: number;
  start: string;
  end: string;
  elapsed_ms: number;
}

export interface KeysAnswer {
  keys: { key: string; map: string; count: number }[];
  sampled: number;
  partial: boolean;
}

export interface TailAnswer {
  columns: Column[];
  rows: Row[];
  after: string | null;
  more: boolean;
}

export interface SavedSearch {
  id: number;
  name: string;
  source_id: number;
  query: string;
  language: Language;
  select: string | null;
  time_range: string | null;
  created_at: string;
  updated_at: string;
}

export interface SavedSearchInput {
  name: string;
  source_id: number;
  query: string;
  language: Language;
  select: string | null;
  time_range: string | null;
}

/** The API's largest page. */
export const MAX_PAGE = 1000;

export const searchApi = {
  sources: () => request<SearchSource[]>('team/sources'),
  rows: (
    body: SearchScope & { select?: string[]; limit?: number; cursor?: string; order?: 'asc' | 'desc' },
    signal?: AbortSignal,
  ) => request<RowsPage>('search/rows', { body, signal }),
  histogram: (body: SearchScope, signal?: AbortSignal) => request<HistogramAnswer>('search/histogram', { body, signal }),
  keys: (body: SearchScope & { sample?: number; limit?: number }, signal?: AbortSignal) =>
    request<KeysAnswer>('search/keys', { body, signal }),
  tail: (body: SearchScope & { select?: string[]; after?: string; limit?: number }, signal?: AbortSignal) =>
    request<TailAnswer>('search/tail', { body, signal }),
  savedSearches: () => request<SavedSearch[]>('team/saved-searches'),
  createSaved: (body: SavedSearchInput) => request<SavedSearch>('team/saved-searches', { method: 'POST', body }),
  updateSaved: (id: number, body: Partial<SavedSearchInput>) =>
    request<SavedSearch>(`team/saved-searches/${id}`, { method: 'PATCH', body }),
  deleteSaved: (id: number) => request<void>(`team/saved-searches/${id}`, { method: 'DELETE' }),
};

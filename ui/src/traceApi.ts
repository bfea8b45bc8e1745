/** API calls and answer shapes for traces, the row side panel, facets and patterns. */
import { request } from './api';
import type { Column, Row, Source } from './types';

export interface SpanEvent {
  timestamp_ns: number;
  offset_ms: number;
  name: string;
  attributes: Record<string, string>;
}

export interface SpanLink {
  trace_id: string;
  span_id: string;
  trace_state: string;
  attributes: Record<string, string>;
}

export interface TraceSpan {
  span_id: string;
  parent_span_id: string;
  name: string;
  service: string;
  kind: string;
  status_code: string;
  status_message: string;
  start: string;
  start_ns: number;
  /** Milliseconds from the trace's first span (exact: computed by the server from nanoseconds). */
  offset_ms: number;
  duration_ms: number;
  depth: number;
  children: string[];
  orphan: boolean;
  attributes: Record<string, string>;
  resource_attributes: Record<string, string>;
  events: SpanEvent[];
  links: SpanLink[];
}

export interface TraceAnswer {
  trace_id: string;
  start: string;
  duration_ms: number;
  span_count: number;
  services: string[];
  error_count: number;
  roots: string[];
  truncated: boolean;
  spans: TraceSpan[];
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facet {
  field: string;
  attribute: boolean;
  present: number;
  values: FacetValue[];
}

export interface FacetsAnswer {
  facets: Facet[];
  sampled: number;
  partial: boolean;
  elapsed_ms: number;
}

export interface Pattern {
  pattern: string;
  count: number;
  sample_count: number;
  examples: string[];
}

export interface PatternsAnswer {
  total: number;
  sampled_rows: number;
  sampled: boolean;
  partial: boolean;
  patterns: Pattern[];
}

export interface RowDetail {
  id: string;
  columns: Column[];
  row: Record<string, unknown>;
  elapsed_ms: number;
}

export interface ContextAnswer {
  columns: Column[];
  rows: Row[];
  anchor: number;
  elapsed_ms: number;
}

export type ContextMatch = 'service' | 'trace' | 'pod';

export interface SearchScope {
  source_id: number;
  query: string;
  language: 'lucene' | 'sql';
  start: string;
  end: string;
}

/** A source as GET /api/team/sources sends it: with its role → expression map. */
export type SourceWithColumns = Source & { columns?: Record<string, unknown> | null };

/** The source's expression for a role (`trace_id` → "TraceId"), when it has one. */
export function sourceRole(source: Source, role: string): string | undefined {
  const columns = (source as SourceWithColumns).columns;
  const found = columns && typeof columns === 'object' ? columns[role] : undefined;
  return typeof found === 'string' && found !== '' ? found : undefined;
}

export const traceApi = {
  trace: (sourceId: number, traceId: string, signal?: AbortSignal) =>
    request<TraceAnswer>('traces/get', { body: { source_id: sourceId, trace_id: traceId }, signal }),
  row: (sourceId: number, rowId: string, signal?: AbortSignal) =>
    request<RowDetail>('search/row', { body: { source_id: sourceId, row_id: rowId }, signal }),
  context: (
    body: { source_id: number; row_id: string; count: number; match: ContextMatch[]; window: string },
    signal?: AbortSignal,
  ) => request<ContextAnswer>('search/context', { body, signal }),
  facets: (scope: SearchScope, signal?: AbortSignal) =>
    request<FacetsAnswer>('search/facets', { body: { ...scope, top: 10 }, signal }),
  patterns: (scope: SearchScope, signal?: AbortSignal) =>
    request<PatternsAnswer>('patterns', {
      body: {
        source_id: scope.source_id,
        query: scope.query,
        language: scope.language,
        start: scope.start,
        end: scope.end,
      },
      signal,
    }),
};

/** The message of a failed call, or null for a call cancelled on purpose. */
export function failure(err: unknown): string | null {
  if (err instanceof DOMException && err.name === 'AbortError') return null;
  return err instanceof Error ? err.message : String(err);
}

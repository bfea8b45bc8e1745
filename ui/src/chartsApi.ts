/** The chart, dashboard and attribute-key calls of the Charts, Dashboards and Services pages. */
import { request } from './api';

export const AGGREGATIONS = [
  'count',
  'count_distinct',
  'sum',
  'avg',
  'min',
  'max',
  'p50',
  'p90',
  'p95',
  'p99',
  'last_value',
] as const;
/** The aggregations of a log, trace or session series. */
export type EventAggregation = (typeof AGGREGATIONS)[number];
/** Any series' aggregation: a metric sum also takes rate and increase. */
export type Aggregation = EventAggregation | 'rate' | 'increase';

export const DISPLAYS = ['line', 'bar', 'number', 'table'] as const;
export type ChartDisplay = (typeof DISPLAYS)[number];
/** A dashboard tile is a chart, or text ("markdown", shown as plain text). */
export type TileDisplay = ChartDisplay | 'markdown';

export type Language = 'lucene' | 'sql';

export const METRIC_KINDS = ['gauge', 'sum', 'histogram', 'exponential_histogram'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/**
 * One series of a saved chart (the dashboard schema's names). A series over a metric source has a
 * `metric_kind`: then `field` is the metric's name and `where` holds `key:value` attribute filters.
 */
export interface SeriesDef {
  aggregation: Aggregation;
  field: string | null;
  where: string;
  where_language: Language;
  metric_kind?: MetricKind | null;
}

export interface ChartDef {
  display: TileDisplay;
  source_id: number | null;
  series: SeriesDef[];
  group_by: string[];
  granularity: string;
  markdown?: string | null;
}

export interface Tile {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  title: string;
  chart: ChartDef;
}

export interface DashboardBody {
  name: string;
  tags: string[];
  time_range: string | null;
  refresh: string;
  tiles: Tile[];
}

export interface Dashboard extends DashboardBody {
  id: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

/** POST /api/charts/series */
export interface SeriesRequest {
  source_id: number;
  start: string;
  end: string;
  series: { aggregation: Aggregation; field?: string | null; where?: string; language?: Language; label?: string }[];
  group_by?: string[];
  granularity?: string;
  max_groups?: number;
  other?: boolean;
  where?: string;
  language?: Language;
}

export interface GroupAnswer {
  key: string[];
  label: string;
  total: number | null;
  values: (number | null)[];
}

export interface SeriesAnswer {
  label: string;
  aggregation: string;
  field: string | null;
  groups_dropped: boolean;
  groups: GroupAnswer[];
}

export interface ChartAnswer {
  bucket_seconds: number;
  buckets: string[];
  group_by: string[];
  series: SeriesAnswer[];
}

export interface AttributeKey {
  key: string;
  map: string;
  count: number;
}

/** GET /api/metrics/names: a metric with points in the range. */
export interface MetricName {
  name: string;
  kind: MetricKind | 'summary';
  unit: string;
  description: string;
  points: number;
  monotonic?: boolean;
  temporality?: 'delta' | 'cumulative';
}

/** GET /api/metrics/attributes: an attribute key of a metric's points, with some of its values. */
export interface MetricAttribute {
  map: string;
  key: string;
  count: number;
  values: string[];
}

/** The aggregation names of POST /api/metrics/series. */
export type MetricApiAggregation = 'avg' | 'min' | 'max' | 'last' | 'sum' | 'count' | 'rate' | 'increase' | 'quantile';

/** POST /api/metrics/series */
export interface MetricRequest {
  source_id: number;
  start: string;
  end: string;
  metric: string;
  kind: MetricKind;
  aggregation: MetricApiAggregation;
  quantile?: number | null;
  group_by: string[];
  filters: Record<string, string>;
  granularity: string;
  max_groups: number;
  /** One bucket over the whole range (a number or a table). */
  whole?: boolean;
}

export interface MetricAnswer {
  metric: string;
  kind: MetricKind;
  aggregation: string;
  quantile: number | null;
  bucket_seconds: number;
  buckets: string[];
  group_by: string[];
  groups: { key: string[]; label: string; values: (number | null)[] }[];
  groups_dropped: boolean;
  truncated: boolean;
  mixed_bounds: boolean;
}

export const metricsApi = {
  names: (sourceId: number, since: string, signal?: AbortSignal) =>
    request<{ metrics: MetricName[] }>(`metrics/names?${new URLSearchParams({ source_id: String(sourceId), since })}`, {
      signal,
    }),
  attributes: (sourceId: number, metric: string, kind: MetricKind, since: string, signal?: AbortSignal) =>
    request<{ attributes: MetricAttribute[] }>(
      `metrics/attributes?${new URLSearchParams({ source_id: String(sourceId), metric, kind, since })}`,
      { signal },
    ),
  series: (body: MetricRequest, signal?: AbortSignal) => request<MetricAnswer>('metrics/series', { body, signal }),
};

export const chartsApi = {
  series: (body: SeriesRequest, signal?: AbortSignal) => request<ChartAnswer>('charts/series', { body, signal }),
  keys: (sourceId: number, since: string, signal?: AbortSignal) =>
    request<{ keys: AttributeKey[] }>('search/keys', {
      body: { source_id: sourceId, since, query: '', limit: 300 },
      signal,
    }),
  dashboards: (signal?: AbortSignal) => request<Dashboard[]>('team/dashboards', { signal }),
  dashboard: (id: number, signal?: AbortSignal) => request<Dashboard>(`team/dashboards/${id}`, { signal }),
  createDashboard: (body: DashboardBody) => request<Dashboard>('team/dashboards', { method: 'POST', body }),
  saveDashboard: (id: number, body: DashboardBody) =>
    request<Dashboard>(`team/dashboards/${id}`, { method: 'PUT', body }),
  renameDashboard: (id: number, name: string) =>
    request<Dashboard>(`team/dashboards/${id}`, { method: 'PATCH', body: { name } }),
  duplicateDashboard: (id: number) => request<Dashboard>(`team/dashboards/${id}/duplicate`, { method: 'POST' }),
  deleteDashboard: (id: number) => request<void>(`team/dashboards/${id}`, { method: 'DELETE' }),
};

/** The writable part of a dashboard, for PUT. */
export function dashboardBody(dashboard: DashboardBody): DashboardBody {
  return {
    name: dashboard.name,
    tags: dashboard.tags,
    time_range: dashboard.time_range,
    refresh: dashboard.refresh,
    tiles: dashboard.tiles,
  };
}

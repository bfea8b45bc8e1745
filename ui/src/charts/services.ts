/** The Services page's requests and rows: per service, requests, errors and latency from the spans. */
import type { ChartAnswer, SeriesRequest } from '../chartsApi';
import type { TimeWindow } from '../time';

export type SpanScope = 'entry' | 'all';

/** Spans that are requests into a service: server spans and message consumers. */
export const ENTRY_SPANS = '(SpanKind:"Server" OR SpanKind:"Consumer")';
export const ERRORS = 'StatusCode:"Error"';

/** A value as an exact-match term of the search language: quoted, with quotes and backslashes escaped. */
export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function scopeFilter(scope: SpanScope, service?: string): string {
  const parts = [];
  if (scope === 'entry') parts.push(ENTRY_SPANS);
  if (service !== undefined) parts.push(`ServiceName:${quoted(service)}`);
  return parts.join(' AND ');
}

const RED_SERIES: SeriesRequest['series'] = [
  { aggregation: 'count', label: 'Requests' },
  { aggregation: 'count', where: ERRORS, label: 'Errors' },
  { aggregation: 'p50', field: 'duration', label: 'p50' },
  { aggregation: 'p95', field: 'duration', label: 'p95' },
  { aggregation: 'p99', field: 'duration', label: 'p99' },
];

/** Every service's requests, errors and latency percentiles over the window. */
export function servicesRequest(sourceId: number, window: TimeWindow, scope: SpanScope): SeriesRequest {
  return {
    source_id: sourceId,
    ...window,
    series: RED_SERIES,
    group_by: ['ServiceName'],
    max_groups: 100,
    where: scopeFilter(scope),
  };
}

/** One service's requests, errors and latency over time (ungrouped: totals are whole-range values). */
export function serviceRequest(sourceId: number, window: TimeWindow, scope: SpanScope, service: string): SeriesRequest {
  return { source_id: sourceId, ...window, series: RED_SERIES, where: scopeFilter(scope, service) };
}

/** One service's operations (span names) with their requests, errors and latency. */
export function operationsRequest(sourceId: number, window: TimeWindow, scope: SpanScope, service: string): SeriesRequest {
  return {
    source_id: sourceId,
    ...window,
    series: RED_SERIES,
    group_by: ['SpanName'],
    max_groups: 50,
    granularity: '1d',
    where: scopeFilter(scope, service),
  };
}

export interface ServiceRow {
  name: string;
  requests: number;
  /** Requests per second over the window. */
  rate: number;
  errors: number;
  /** Errors as a percentage of requests. */
  errorRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Rows of a services (or operations) answer: the series are joined by group; missing counts are 0. */
export function serviceRows(answer: ChartAnswer, window: TimeWindow): ServiceRow[] {
  const seconds = Math.max(1, (Date.parse(window.end) - Date.parse(window.start)) / 1000);
  const byLabel = (label: string) => answer.series.find((s) => s.label === label);
  const totals = (label: string) =>
    new Map((byLabel(label)?.groups ?? []).map((g) => [JSON.stringify(g.key), g.total] as const));
  const requests = byLabel('Requests')?.groups ?? [];
  const errors = totals('Errors');
  const p50 = totals('p50');
  const p95 = totals('p95');
  const p99 = totals('p99');
  return requests.map((g) => {
    const key = JSON.stringify(g.key);
    const count = g.total ?? 0;
    const failed = errors.get(key) ?? 0;
    return {
      name: g.key.join(', ') || g.label,
      requests: count,
      rate: count / seconds,
      errors: failed ?? 0,
      errorRate: count > 0 ? ((failed ?? 0) / count) * 100 : 0,
      p50: p50.get(key) ?? null,
      p95: p95.get(key) ?? null,
      p99: p99.get(key) ?? null,
    };
  });
}

/** A request rate: per second from 1/s up, else per minute. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s';
  if (perSecond >= 1) return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)}/s`;
  const perMinute = perSecond * 60;
  return `${perMinute >= 10 ? Math.round(perMinute) : perMinute.toFixed(perMinute >= 1 ? 1 : 2)}/min`;
}

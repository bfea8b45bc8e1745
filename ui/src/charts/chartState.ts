/**
 * What the chart explorer shows, kept in the URL so a chart can be shared and reloaded:
 * `/charts?source=2&agg=count&group=ServiceName&display=bar&range=1h`. A second series uses `agg2`,
 * `field2`, `where2`, `lang2`, and so on. An absolute range (typed, or dragged on the chart) is `from`/`to`
 * (ISO 8601) instead of `range`, as on every page with a time picker (see ../time.ts).
 * A metric series adds its kind, `mkind=histogram`, and names its metric in `field`:
 * `/charts?source=4&agg=p95&field=http.server.duration&mkind=histogram&group=service.name`.
 */
import {
  AGGREGATIONS,
  DISPLAYS,
  type Aggregation,
  type ChartDef,
  type ChartDisplay,
  type EventAggregation,
  type SeriesDef,
  type SeriesRequest,
} from '../chartsApi';
import { CHART_TIME, durationWords, isRelative, setTimeParams, spanMs, timeFromParams, type RelativeSpec, type TimeSpec, type TimeWindow } from '../time';
import { fitAggregation, isMetricKind, metricSeriesProblem } from './metricState';

export const MAX_SERIES = 10;
export const MAX_GROUP_BY = 5;

export const GRANULARITIES = ['auto', '1m', '5m', '15m', '1h', '1d'] as const;
export const REFRESHES = ['off', '30s', '1m', '5m'] as const;

/** A chart of the explorer: a dashboard chart that is not text. */
export interface ChartConfig extends ChartDef {
  display: ChartDisplay;
}

export interface ExplorerState {
  chart: ChartConfig;
  time: TimeSpec;
}

export const DEFAULT_SERIES: SeriesDef = { aggregation: 'count', field: null, where: '', where_language: 'lucene' };

export const DEFAULT_CHART: ChartConfig = {
  display: 'line',
  source_id: null,
  series: [DEFAULT_SERIES],
  group_by: [],
  granularity: 'auto',
};

export function isGranularity(text: string): boolean {
  return text === 'auto' || spanMs(text) !== null;
}

export function granularityLabel(granularity: string): string {
  return granularity === 'auto' ? 'Auto' : durationWords(granularity);
}

export function refreshLabel(refresh: string): string {
  return refresh === 'off' ? 'Off' : `Every ${granularityLabel(refresh)}`;
}

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  const parsed = Number(value);
  return parsed > 0 ? parsed : null;
}

function isAggregation(value: string | null): value is EventAggregation {
  return value !== null && (AGGREGATIONS as readonly string[]).includes(value);
}

function isMetricAggregation(value: string | null): value is Aggregation {
  return isAggregation(value) || value === 'rate' || value === 'increase';
}

function isDisplay(value: string | null): value is ChartDisplay {
  return value !== null && (DISPLAYS as readonly string[]).includes(value);
}

function suffix(index: number): string {
  return index === 0 ? '' : String(index + 1);
}

/** Whether an aggregation needs a field (all but count). */
export function needsField(aggregation: Aggregation): boolean {
  return aggregation !== 'count';
}

/** Whether a series names a field: a metric series always names its metric. */
export function seriesNeedsField(series: SeriesDef): boolean {
  return isMetricKind(series.metric_kind) || needsField(series.aggregation);
}

/** The explorer state a URL's search params describe; anything missing or malformed takes its default. */
export function parseExplorer(params: URLSearchParams): ExplorerState {
  const series: SeriesDef[] = [];
  for (let i = 0; i < MAX_SERIES; i++) {
    const agg = params.get(`agg${suffix(i)}`);
    if (i > 0 && agg === null) break;
    const field = params.get(`field${suffix(i)}`);
    const kind = params.get(`mkind${suffix(i)}`);
    const where = params.get(`where${suffix(i)}`) ?? '';
    if (isMetricKind(kind)) {
      const aggregation = fitAggregation(kind, isMetricAggregation(agg) ? agg : 'avg');
      series.push({ aggregation, field: field ?? '', where, where_language: 'lucene', metric_kind: kind });
      continue;
    }
    const aggregation = isAggregation(agg) ? agg : 'count';
    series.push({
      aggregation,
      field: needsField(aggregation) ? (field ?? '') : null,
      where,
      where_language: params.get(`lang${suffix(i)}`) === 'sql' ? 'sql' : 'lucene',
    });
  }
  const display = params.get('display');
  const granularity = params.get('gran') ?? 'auto';
  return {
    chart: {
      display: isDisplay(display) ? display : 'line',
      source_id: positiveInt(params.get('source')),
      series,
      group_by: params
        .getAll('group')
        .filter((g) => g.trim() !== '')
        .slice(0, MAX_GROUP_BY),
      granularity: isGranularity(granularity) ? granularity : 'auto',
    },
    time: timeFromParams(params, CHART_TIME),
  };
}

/** The search params of a state, leaving out defaults so URLs stay short. */
export function explorerParams(state: ExplorerState): URLSearchParams {
  const params = new URLSearchParams();
  const { chart, time } = state;
  if (chart.source_id !== null) params.set('source', String(chart.source_id));
  chart.series.slice(0, MAX_SERIES).forEach((s, i) => {
    const n = suffix(i);
    params.set(`agg${n}`, s.aggregation);
    if (seriesNeedsField(s) && s.field) params.set(`field${n}`, s.field);
    if (isMetricKind(s.metric_kind)) params.set(`mkind${n}`, s.metric_kind);
    if (s.where !== '') params.set(`where${n}`, s.where);
    if (s.where_language === 'sql' && !isMetricKind(s.metric_kind)) params.set(`lang${n}`, 'sql');
  });
  chart.group_by.forEach((g) => params.append('group', g));
  if (chart.granularity !== 'auto') params.set('gran', chart.granularity);
  if (chart.display !== 'line') params.set('display', chart.display);
  setTimeParams(params, time, CHART_TIME);
  return params;
}

/** The explorer URL (path and query) that opens a chart. */
export function explorerLink(chart: ChartConfig, time: TimeSpec): string {
  const query = explorerParams({ chart, time }).toString();
  return query ? `/charts?${query}` : '/charts';
}

export function seriesLabel(series: SeriesDef): string {
  const what = seriesNeedsField(series) ? `${series.aggregation}(${series.field ?? ''})` : 'count()';
  return series.where.trim() ? `${what} where ${series.where.trim()}` : what;
}

/** A title for a chart nobody named: its first series and its grouping. */
export function defaultTitle(chart: ChartDef): string {
  const first = chart.series[0];
  const what = first ? seriesLabel(first) : 'Chart';
  const more = chart.series.length > 1 ? ` and ${chart.series.length - 1} more` : '';
  const by = chart.group_by.length ? ` by ${chart.group_by.join(', ')}` : '';
  return `${what}${more}${by}`.slice(0, 200);
}

/** Group-by fields typed as one comma-separated line; a comma inside brackets or quotes does not split. */
export function parseFieldList(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '[' || ch === '(') {
      depth++;
    } else if ((ch === ']' || ch === ')') && depth > 0) {
      depth--;
    } else if (ch === ',' && depth === 0) {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Why a chart cannot be run yet, or null: a missing source, or a field an aggregation needs. */
export function chartProblem(chart: ChartDef): { field: string; message: string } | null {
  if (chart.display === 'markdown') return null;
  if (chart.source_id === null) return { field: 'source_id', message: 'Choose a source.' };
  for (const [i, s] of chart.series.entries()) {
    const metric = metricSeriesProblem(s, i);
    if (metric) return metric;
    if (needsField(s.aggregation) && !s.field?.trim()) {
      return { field: `series.${i}.field`, message: `${s.aggregation} needs a field to aggregate.` };
    }
  }
  if (chart.group_by.length > MAX_GROUP_BY) {
    return { field: 'group_by', message: `Group by at most ${MAX_GROUP_BY} fields.` };
  }
  return null;
}

/** The chart as the dashboard schema stores it: no field for count, trimmed text. */
export function cleanChart<T extends ChartDef>(chart: T): T {
  return {
    ...chart,
    series: chart.series.map((s) => {
      const { metric_kind: kind, ...rest } = s;
      const clean: SeriesDef = {
        ...rest,
        field: seriesNeedsField(s) ? (s.field ?? '').trim() || null : null,
        where: s.where.trim(),
      };
      return isMetricKind(kind) ? { ...clean, where_language: 'lucene', metric_kind: kind } : clean;
    }),
    group_by: chart.group_by.map((g) => g.trim()).filter((g) => g !== ''),
  };
}

/** The /api/charts/series request of a chart over a window. A number shows one value: no grouping. */
export function toSeriesRequest(chart: ChartDef, window: TimeWindow): SeriesRequest {
  const clean = cleanChart(chart);
  return {
    source_id: clean.source_id ?? 0,
    start: window.start,
    end: window.end,
    series: clean.series.map((s) => ({
      aggregation: s.aggregation,
      field: s.field,
      where: s.where,
      language: s.where_language,
    })),
    group_by: clean.display === 'number' ? [] : clean.group_by,
    granularity: clean.granularity,
    max_groups: clean.display === 'table' ? 50 : 10,
  };
}

/**
 * A dashboard's time range and auto refresh as the URL gives them: `?range=6h&refresh=1m`, or an absolute
 * range as `from`/`to` (which the URL can hold but the dashboard cannot save: its schema keeps relative
 * ranges only).
 */
export interface BoardView {
  time: TimeSpec;
  refresh: string;
}

export function isRefresh(text: string): boolean {
  return (REFRESHES as readonly string[]).includes(text);
}

/** Milliseconds between auto refreshes; null when off. */
export function refreshMs(refresh: string): number | null {
  return refresh === 'off' ? null : spanMs(refresh);
}

/** The time a dashboard opens on: its saved relative range, else the last hour. */
export function savedTime(saved: { time_range: string | null }): RelativeSpec {
  return isRelative(saved.time_range) ? { kind: 'relative', range: saved.time_range } : CHART_TIME;
}

/** The view in the URL, else the dashboard's saved defaults, else the last hour without refresh. */
export function parseBoardView(params: URLSearchParams, saved: { time_range: string | null; refresh: string }): BoardView {
  const refresh = params.get('refresh');
  const savedRefresh = isRefresh(saved.refresh) ? saved.refresh : 'off';
  return {
    time: timeFromParams(params, savedTime(saved)),
    refresh: refresh !== null && isRefresh(refresh) ? refresh : savedRefresh,
  };
}

export function boardViewParams(view: BoardView): URLSearchParams {
  const params = new URLSearchParams();
  // The range is always written: the saved default it would fall back to may change.
  setTimeParams(params, view.time, CHART_TIME, true);
  params.set('refresh', view.refresh);
  return params;
}

/** The relative range to save as a dashboard's default: the shown one, or (absolute shown) the saved one. */
export function rangeToSave(time: TimeSpec, saved: string | null): string | null {
  return time.kind === 'relative' ? time.range : saved;
}

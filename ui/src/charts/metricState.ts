/**
 * Metric series: which aggregations a metric kind takes, the `key:value` attribute filter, the
 * /api/metrics/series requests of a chart, and their answers joined into the chart API's shape so the
 * line, bar, number and table views draw them unchanged.
 */
import {
  METRIC_KINDS,
  type Aggregation,
  type ChartAnswer,
  type ChartDef,
  type MetricAnswer,
  type MetricApiAggregation,
  type MetricKind,
  type MetricName,
  type MetricRequest,
  type SeriesDef,
} from '../chartsApi';

const GAUGE: Aggregation[] = ['avg', 'min', 'max', 'last_value', 'sum', 'count'];
const HISTOGRAM: Aggregation[] = ['p50', 'p90', 'p95', 'p99', 'avg', 'count', 'rate'];

/** The aggregations each kind takes (as the dashboard schema checks them), the usual one first. */
export const METRIC_AGGREGATIONS: Record<MetricKind, Aggregation[]> = {
  gauge: GAUGE,
  sum: ['rate', 'increase', ...GAUGE],
  histogram: HISTOGRAM,
  exponential_histogram: HISTOGRAM,
};

export const METRIC_KIND_LABELS: Record<MetricKind, string> = {
  gauge: 'Gauge',
  sum: 'Sum (counter)',
  histogram: 'Histogram',
  exponential_histogram: 'Exponential histogram',
};

const QUANTILES: Partial<Record<Aggregation, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

/** Labels of the aggregation choices for a kind: what each one computes per time bucket. */
export function metricAggregationLabel(kind: MetricKind, aggregation: Aggregation): string {
  const histogram = kind === 'histogram' || kind === 'exponential_histogram';
  const labels: Partial<Record<Aggregation, string>> = {
    avg: histogram ? 'Average observation' : 'Average',
    min: 'Minimum',
    max: 'Maximum',
    last_value: 'Last value',
    sum: 'Sum of the series’ last values',
    count: histogram ? 'Count of observations' : 'Count of points',
    rate: histogram ? 'Observations per second' : 'Rate per second',
    increase: 'Increase',
    p50: 'p50 (median)',
    p90: 'p90',
    p95: 'p95',
    p99: 'p99',
  };
  return labels[aggregation] ?? aggregation;
}

export function isMetricKind(value: unknown): value is MetricKind {
  return typeof value === 'string' && (METRIC_KINDS as readonly string[]).includes(value);
}

/** Whether a chart reads a metric source (its series name metrics). */
export function isMetricChart(chart: ChartDef): boolean {
  return chart.series.some((s) => isMetricKind(s.metric_kind));
}

/** The aggregation to start with for a metric: a counter's rate, an up-down counter's level, a p95. */
export function defaultMetricAggregation(kind: MetricKind, monotonic?: boolean): Aggregation {
  if (kind === 'sum') return monotonic === false ? 'last_value' : 'rate';
  if (kind === 'gauge') return 'avg';
  return 'p95';
}

/** `aggregation` when the kind takes it, else the kind's usual one. */
export function fitAggregation(kind: MetricKind, aggregation: Aggregation, monotonic?: boolean): Aggregation {
  return METRIC_AGGREGATIONS[kind].includes(aggregation) ? aggregation : defaultMetricAggregation(kind, monotonic);
}

export const DEFAULT_METRIC_SERIES: SeriesDef = {
  aggregation: 'avg',
  field: '',
  where: '',
  where_language: 'lucene',
  metric_kind: 'gauge',
};

/** A series switched to a metric (picked from the names list): its kind, and an aggregation that fits. */
export function withMetric(series: SeriesDef, metric: MetricName): SeriesDef {
  const kind: MetricKind = isMetricKind(metric.kind) ? metric.kind : 'gauge';
  const changed = series.metric_kind !== kind;
  return {
    ...series,
    field: metric.name,
    metric_kind: kind,
    aggregation: changed
      ? defaultMetricAggregation(kind, metric.monotonic)
      : fitAggregation(kind, series.aggregation, metric.monotonic),
  };
}

export type FilterParse = { filters: Record<string, string> } | { error: string };

// key:value, key:"a value", key="value"; keys may have dots, dashes and slashes (http.route, k8s.pod/name).
const FILTER = /^\s*([A-Za-z_][\w.\-/]*)\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/;

/** The attribute filters of a metric series: `key:value` pairs that must all match; the same key twice is an error. */
export function parseMetricFilter(text: string): FilterParse {
  const filters: Record<string, string> = {};
  let rest = text.trim();
  while (rest !== '') {
    if (/^AND\s/i.test(rest)) {
      rest = rest.slice(3).trimStart();
      continue;
    }
    const match = FILTER.exec(rest);
    if (!match) {
      const word = rest.split(/\s+/)[0] ?? rest;
      return { error: `Write filters as key:value pairs (all must match), like service.name:api — not “${word}”.` };
    }
    const key = match[1] ?? '';
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (key in filters && filters[key] !== value) {
      return { error: `${key} is filtered twice: a point has one value for it.` };
    }
    filters[key] = value;
    rest = rest.slice(match[0].length).trimStart();
  }
  return { filters };
}

/** One filter as text: quoted when the value has spaces or quotes. */
export function filterText(key: string, value: string): string {
  return /^[^\s"]+$/.test(value) ? `${key}:${value}` : `${key}:"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/** Why a metric series cannot run yet, or null. */
export function metricSeriesProblem(series: SeriesDef, index: number): { field: string; message: string } | null {
  if (!isMetricKind(series.metric_kind)) return null;
  if (!series.field?.trim()) return { field: `series.${index}.field`, message: 'Choose a metric.' };
  if (!METRIC_AGGREGATIONS[series.metric_kind].includes(series.aggregation)) {
    return {
      field: `series.${index}.aggregation`,
      message: `A ${series.metric_kind} metric does not take ${series.aggregation}.`,
    };
  }
  const parsed = parseMetricFilter(series.where);
  if ('error' in parsed) return { field: `series.${index}.where`, message: parsed.error };
  return null;
}

function apiAggregation(aggregation: Aggregation): { aggregation: MetricApiAggregation; quantile: number | null } {
  const quantile = QUANTILES[aggregation];
  if (quantile !== undefined) return { aggregation: 'quantile', quantile };
  if (aggregation === 'last_value') return { aggregation: 'last', quantile: null };
  // The other names are the same in both APIs; count_distinct never reaches here (no kind takes it).
  return { aggregation: aggregation as MetricApiAggregation, quantile: null };
}

/**
 * The /api/metrics/series request of each series. A number or table asks for one bucket over the
 * whole range (its exact value, not a summary of buckets); a number is never grouped.
 */
export function toMetricRequests(chart: ChartDef, window: { start: string; end: string }): MetricRequest[] {
  const whole = chart.display === 'number' || chart.display === 'table';
  const groupBy = chart.display === 'number' ? [] : chart.group_by.map((g) => g.trim()).filter((g) => g !== '');
  return chart.series.map((s) => {
    const parsed = parseMetricFilter(s.where);
    return {
      source_id: chart.source_id ?? 0,
      start: window.start,
      end: window.end,
      metric: (s.field ?? '').trim(),
      kind: isMetricKind(s.metric_kind) ? s.metric_kind : 'gauge',
      ...apiAggregation(s.aggregation),
      group_by: groupBy,
      filters: 'filters' in parsed ? parsed.filters : {},
      granularity: chart.granularity,
      max_groups: chart.display === 'table' ? 50 : 10,
      ...(whole ? { whole: true } : {}),
    };
  });
}

/**
 * A value for the whole range from bucket values, for the legend: the sum of counts and increases,
 * the last of last values, the least minimum and greatest maximum, else the mean of the buckets.
 */
export function summarize(aggregation: Aggregation, values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return null;
  switch (aggregation) {
    case 'count':
    case 'increase':
      return present.reduce((a, b) => a + b, 0);
    case 'last_value':
      return present[present.length - 1] ?? null;
    case 'min':
      return Math.min(...present);
    case 'max':
      return Math.max(...present);
    default:
      return present.reduce((a, b) => a + b, 0) / present.length;
  }
}

/** Where a metric API error belongs in the chart form: per-series fields move under `series.<i>.`. */
export function metricErrorField(field: string | undefined, index: number): string | undefined {
  if (field === undefined) return undefined;
  const mapped: Record<string, string> = {
    metric: 'field',
    kind: 'field',
    aggregation: 'aggregation',
    quantile: 'aggregation',
    filters: 'where',
  };
  const head = field.split('.')[0] ?? field;
  const target = mapped[head];
  return target ? `series.${index}.${target}` : field;
}

/**
 * The answers of a chart's metric series as one chart answer: each series labelled by `labels`, its
 * groups' values aligned to the first answer's buckets, and a whole-range value per group (the one
 * bucket of a whole-range answer, else a summary of the buckets).
 */
export function joinMetricAnswers(chart: ChartDef, answers: MetricAnswer[], labels: string[]): ChartAnswer {
  const first = answers[0];
  const buckets = first?.buckets ?? [];
  const slot = new Map(buckets.map((b, i) => [Date.parse(b), i]));
  return {
    bucket_seconds: first?.bucket_seconds ?? 60,
    buckets,
    group_by: first?.group_by ?? [],
    series: answers.map((answer, index) => {
      const def = chart.series[index];
      const aggregation = def?.aggregation ?? 'avg';
      return {
        label: labels[index] ?? answer.metric,
        aggregation,
        field: answer.metric,
        groups_dropped: answer.groups_dropped,
        groups: answer.groups.map((g) => {
          const values: (number | null)[] = buckets.map(() => null);
          answer.buckets.forEach((b, i) => {
            const at = slot.get(Date.parse(b));
            const v = g.values[i];
            if (at !== undefined && typeof v === 'number' && Number.isFinite(v)) values[at] = v;
          });
          const total = answer.buckets.length === 1 ? values[0] ?? null : summarize(aggregation, values);
          return { key: g.key, label: g.label, total, values };
        }),
      };
    }),
  };
}

/** Unit names OpenTelemetry uses (UCUM) as shown next to values. */
export function unitSuffix(unit: string): string {
  const trimmed = unit.trim();
  if (trimmed === '' || trimmed === '1') return '';
  const words: Record<string, string> = { By: 'B', s: 's', ms: 'ms', us: 'µs', ns: 'ns', '%': '%' };
  return words[trimmed] ?? trimmed.replace(/^\{(.*)\}$/, '$1');
}

/**
 * The unit of a series' values: the metric's unit, per second for a counter's rate, none for counts
 * and for a histogram's rate (observations per second).
 */
export function seriesUnit(series: SeriesDef, unit: string): string {
  const base = unitSuffix(unit);
  if (series.aggregation === 'count') return '';
  if (series.aggregation === 'rate') {
    return series.metric_kind === 'sum' && base !== '' ? `${base}/s` : '/s';
  }
  return base;
}

/** The one unit all of a chart's series share ('' when they differ or have none). */
export function chartUnit(chart: ChartDef, names: MetricName[]): string {
  const units = new Set(
    chart.series.map((s) => {
      const name = (s.field ?? '').trim();
      const found = names.find((n) => n.name === name && n.kind === s.metric_kind) ?? names.find((n) => n.name === name);
      return seriesUnit(s, found?.unit ?? '');
    }),
  );
  return units.size === 1 ? ([...units][0] ?? '') : '';
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A formatter for values in a unit: durations as ms/s/min, bytes as KiB/MiB…, others with the unit after. */
export function unitFormat(
  unit: string,
  base: (value: number | null | undefined) => string,
  ms: (value: number | null | undefined) => string,
): (value: number | null) => string {
  const perSecond = unit.endsWith('/s') ? '/s' : '';
  const core = perSecond ? unit.slice(0, -2) : unit;
  const scale: Record<string, number> = { ns: 1e-6, µs: 1e-3, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
  return (value) => {
    if (value === null || !Number.isFinite(value)) return base(value);
    if (core in scale) return `${ms(value * (scale[core] ?? 1))}${perSecond}`;
    if (core === 'B') {
      let size = value;
      let step = 0;
      while (Math.abs(size) >= 1024 && step < BYTE_UNITS.length - 1) {
        size /= 1024;
        step++;
      }
      return `${base(size)} ${BYTE_UNITS[step]}${perSecond}`;
    }
    if (core === '%') return `${base(value)}%${perSecond}`;
    if (core === '') return `${base(value)}${perSecond}`;
    return `${base(value)} ${core}${perSecond}`;
  };
}

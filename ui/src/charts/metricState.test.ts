import { describe, expect, it } from 'vitest';
import type { ChartDef, MetricAnswer, MetricName } from '../chartsApi';
import { chartProblem, cleanChart, defaultTitle, explorerParams, parseExplorer, type ExplorerState } from './chartState';
import {
  chartUnit,
  filterText,
  fitAggregation,
  isMetricChart,
  joinMetricAnswers,
  metricErrorField,
  parseMetricFilter,
  summarize,
  toMetricRequests,
  unitFormat,
  withMetric,
  DEFAULT_METRIC_SERIES,
} from './metricState';
import { formatMs, formatValue, headline, tableRows, toPlotData } from './series';

const metricChart: ChartDef = {
  display: 'line',
  source_id: 4,
  series: [
    {
      aggregation: 'p95',
      field: 'http.server.duration',
      where: 'http.route:"/cart items"',
      where_language: 'lucene',
      metric_kind: 'histogram',
    },
    { aggregation: 'rate', field: 'http.server.requests', where: '', where_language: 'lucene', metric_kind: 'sum' },
  ],
  group_by: ['service.name'],
  granularity: '5m',
};

const window = { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' };

describe('metric charts in the URL', () => {
  const state: ExplorerState = { chart: { ...metricChart, display: 'bar' }, time: { kind: 'relative', range: '6h' } };

  it('round-trips kind, metric, aggregation and filter', () => {
    const params = explorerParams(state);
    expect(params.get('mkind')).toBe('histogram');
    expect(params.get('field')).toBe('http.server.duration');
    expect(params.get('agg2')).toBe('rate');
    expect(params.get('mkind2')).toBe('sum');
    expect(params.has('lang')).toBe(false);
    expect(parseExplorer(new URLSearchParams(params.toString()))).toEqual(state);
  });

  it('keeps a count of points with its metric name', () => {
    const chart: ChartDef = { ...metricChart, series: [{ ...DEFAULT_METRIC_SERIES, aggregation: 'count', field: 'cpu' }] };
    const params = explorerParams({ chart: { ...chart, display: 'line' }, time: state.time });
    expect(params.get('field')).toBe('cpu');
    expect(parseExplorer(params).chart.series[0]).toMatchObject({ aggregation: 'count', field: 'cpu', metric_kind: 'gauge' });
  });

  it('fixes an aggregation the kind does not take, and ignores an unknown kind', () => {
    const fixed = parseExplorer(new URLSearchParams('source=4&agg=p99&field=cpu&mkind=gauge'));
    expect(fixed.chart.series[0]).toMatchObject({ aggregation: 'avg', metric_kind: 'gauge' });
    const unknown = parseExplorer(new URLSearchParams('source=4&agg=rate&field=x&mkind=summary'));
    expect(unknown.chart.series[0]).toEqual({ aggregation: 'count', field: null, where: '', where_language: 'lucene' });
  });
});

describe('metric series checks and saving', () => {
  it('asks for a metric, and for filters it can read', () => {
    expect(chartProblem({ ...metricChart, series: [DEFAULT_METRIC_SERIES] })).toEqual({
      field: 'series.0.field',
      message: 'Choose a metric.',
    });
    const bad = { ...metricChart, series: [{ ...DEFAULT_METRIC_SERIES, field: 'cpu', where: 'a:b OR c:d' }] };
    expect(chartProblem(bad)?.field).toBe('series.0.where');
    expect(chartProblem(metricChart)).toBeNull();
  });

  it('saves the metric kind and name, and titles by them', () => {
    const saved = cleanChart({ ...metricChart, series: [{ ...DEFAULT_METRIC_SERIES, aggregation: 'count', field: ' cpu ' }] });
    expect(saved.series[0]).toEqual({ aggregation: 'count', field: 'cpu', where: '', where_language: 'lucene', metric_kind: 'gauge' });
    expect(defaultTitle(metricChart)).toBe('p95(http.server.duration) where http.route:"/cart items" and 1 more by service.name');
    expect(isMetricChart(metricChart)).toBe(true);
    expect(isMetricChart({ ...metricChart, series: [{ aggregation: 'count', field: null, where: '', where_language: 'lucene' }] })).toBe(false);
  });

  it('picks an aggregation that fits a chosen metric', () => {
    const histogram: MetricName = { name: 'lat', kind: 'histogram', unit: 'ms', description: '', points: 3 };
    expect(withMetric(DEFAULT_METRIC_SERIES, histogram)).toMatchObject({ field: 'lat', metric_kind: 'histogram', aggregation: 'p95' });
    const upDown: MetricName = { name: 'queue', kind: 'sum', unit: '1', description: '', points: 3, monotonic: false };
    expect(withMetric(DEFAULT_METRIC_SERIES, upDown).aggregation).toBe('last_value');
    expect(fitAggregation('sum', 'max')).toBe('max');
    expect(fitAggregation('gauge', 'increase')).toBe('avg');
  });
});

describe('attribute filters', () => {
  it('reads key:value pairs, quoted values and key=value', () => {
    expect(parseMetricFilter('service.name:api  http.route:"/a \\"b\\"" AND k8s.pod/name=x-1')).toEqual({
      filters: { 'service.name': 'api', 'http.route': '/a "b"', 'k8s.pod/name': 'x-1' },
    });
    expect(parseMetricFilter('   ')).toEqual({ filters: {} });
  });

  it('refuses what it cannot express', () => {
    expect(parseMetricFilter('error')).toHaveProperty('error');
    expect(parseMetricFilter('a:1 a:2')).toHaveProperty('error');
    expect(parseMetricFilter('a:1 OR b:2')).toHaveProperty('error');
  });

  it('writes a value back so it reads the same', () => {
    for (const value of ['api', '/a b', 'say "hi"']) {
      expect(parseMetricFilter(filterText('k', value))).toEqual({ filters: { k: value } });
    }
  });
});

describe('metric requests', () => {
  it('asks once per series, quantiles by q and filters as a map', () => {
    const [p95, rate] = toMetricRequests(metricChart, window);
    expect(p95).toEqual({
      source_id: 4,
      ...window,
      metric: 'http.server.duration',
      kind: 'histogram',
      aggregation: 'quantile',
      quantile: 0.95,
      group_by: ['service.name'],
      filters: { 'http.route': '/cart items' },
      granularity: '5m',
      max_groups: 10,
    });
    expect(rate).toMatchObject({ aggregation: 'rate', quantile: null, filters: {} });
  });

  it('asks a number and a table for the whole range, a number ungrouped', () => {
    const [number] = toMetricRequests({ ...metricChart, display: 'number' }, window);
    expect(number).toMatchObject({ whole: true, group_by: [] });
    const [table] = toMetricRequests({ ...metricChart, display: 'table' }, window);
    expect(table).toMatchObject({ whole: true, group_by: ['service.name'], max_groups: 50 });
    const last = toMetricRequests({ ...metricChart, series: [{ ...DEFAULT_METRIC_SERIES, aggregation: 'last_value', field: 'x' }] }, window);
    expect(last[0]?.aggregation).toBe('last');
  });

  it('moves a per-series error field under its series', () => {
    expect(metricErrorField('metric', 1)).toBe('series.1.field');
    expect(metricErrorField('filters.route', 0)).toBe('series.0.where');
    expect(metricErrorField('group_by', 0)).toBe('group_by');
    expect(metricErrorField(undefined, 0)).toBeUndefined();
  });
});

function answer(metric: string, buckets: string[], groups: [string, (number | null)[]][]): MetricAnswer {
  return {
    metric,
    kind: 'sum',
    aggregation: 'rate',
    quantile: null,
    bucket_seconds: 60,
    buckets,
    group_by: ['service.name'],
    groups: groups.map(([label, values]) => ({ key: [label], label, values })),
    groups_dropped: false,
    truncated: false,
    mixed_bounds: false,
  };
}

describe('metric answers as a chart', () => {
  const buckets = ['2024-05-01T10:00:00Z', '2024-05-01T10:01:00Z', '2024-05-01T10:02:00Z'];

  it('draws one line per series and group, with a summary for the legend', () => {
    const joined = joinMetricAnswers(
      metricChart,
      [answer('http.server.duration', buckets, [['api', [10, null, 30]]]), answer('http.server.requests', buckets, [['api', [1, 2, 3]], ['', [null, null, null]]])],
      ['p95(http.server.duration)', 'rate(http.server.requests)'],
    );
    const plot = toPlotData(joined);
    expect(plot.x).toEqual([1714557600, 1714557660, 1714557720]);
    expect(plot.series.map((s) => [s.label, s.values, s.total])).toEqual([
      ['p95(http.server.duration) · api', [10, null, 30], 20],
      ['rate(http.server.requests) · api', [1, 2, 3], 2],
      ['rate(http.server.requests) · (empty)', [null, null, null], null],
    ]);
  });

  it('takes a whole-range answer as each group’s value for tables and numbers', () => {
    const whole = ['2024-05-01T10:00:00Z'];
    const chart: ChartDef = { ...metricChart, display: 'table' };
    const joined = joinMetricAnswers(chart, [answer('a', whole, [['api', [7]], ['web', [3]]]), answer('b', whole, [['web', [0.5]]])], ['A', 'B']);
    expect(tableRows(joined).rows.map((r) => [r.group, r.cells])).toEqual([
      [['api'], [7, null]],
      [['web'], [3, 0.5]],
    ]);
    const number = joinMetricAnswers({ ...metricChart, display: 'number' }, [answer('a', whole, [['', [42]]])], ['A']);
    expect(headline(number)).toBe(42);
  });

  it('summarizes buckets the way each aggregation adds up', () => {
    const values = [4, null, 1, 7];
    expect(summarize('increase', values)).toBe(12);
    expect(summarize('count', values)).toBe(12);
    expect(summarize('last_value', values)).toBe(7);
    expect(summarize('min', values)).toBe(1);
    expect(summarize('max', values)).toBe(7);
    expect(summarize('avg', values)).toBe(4);
    expect(summarize('p99', [null])).toBeNull();
  });
});

describe('units', () => {
  const names: MetricName[] = [
    { name: 'http.server.duration', kind: 'histogram', unit: 'ms', description: '', points: 1 },
    { name: 'http.server.requests', kind: 'sum', unit: '{request}', description: '', points: 1 },
    { name: 'mem', kind: 'gauge', unit: 'By', description: '', points: 1 },
  ];

  it('gives a chart the unit its series share', () => {
    expect(chartUnit({ ...metricChart, series: [metricChart.series[0]!] }, names)).toBe('ms');
    expect(chartUnit({ ...metricChart, series: [metricChart.series[1]!] }, names)).toBe('request/s');
    expect(chartUnit(metricChart, names)).toBe('');
    const counted = { ...metricChart, series: [{ ...metricChart.series[0]!, aggregation: 'count' as const }] };
    expect(chartUnit(counted, names)).toBe('');
  });

  it('formats durations, bytes and other units', () => {
    expect(unitFormat('ms', formatValue, formatMs)(1500)).toBe('1.5 s');
    expect(unitFormat('s', formatValue, formatMs)(0.25)).toBe('250 ms');
    expect(unitFormat('B', formatValue, formatMs)(3 * 1024 * 1024)).toBe('3 MiB');
    expect(unitFormat('request/s', formatValue, formatMs)(2)).toBe('2 request/s');
    expect(unitFormat('', formatValue, formatMs)(null)).toBe('—');
  });
});

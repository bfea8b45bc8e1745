import { describe, expect, it } from 'vitest';
import {
  chartProblem,
  cleanChart,
  DEFAULT_CHART,
  defaultTitle,
  explorerLink,
  explorerParams,
  isRange,
  parseExplorer,
  parseFieldList,
  rangeLabel,
  timeWindow,
  toSeriesRequest,
  boardViewParams,
  parseBoardView,
  type ExplorerState,
} from './chartState';

const state: ExplorerState = {
  chart: {
    display: 'bar',
    source_id: 3,
    series: [
      { aggregation: 'count', field: null, where: 'level:error', where_language: 'lucene' },
      { aggregation: 'p95', field: 'duration', where: "ServiceName = 'api'", where_language: 'sql' },
    ],
    group_by: ['ServiceName', "LogAttributes['a,b']"],
    granularity: '5m',
  },
  time: { kind: 'relative', range: '24h' },
};

describe('explorer state in the URL', () => {
  it('round-trips every field', () => {
    const params = explorerParams(state);
    expect(parseExplorer(new URLSearchParams(params.toString()))).toEqual(state);
  });

  it('keeps the first series unnumbered and the second numbered', () => {
    const params = explorerParams(state);
    expect(params.get('agg')).toBe('count');
    expect(params.get('agg2')).toBe('p95');
    expect(params.get('field2')).toBe('duration');
    expect(params.get('lang2')).toBe('sql');
    expect(params.getAll('group')).toEqual(['ServiceName', "LogAttributes['a,b']"]);
  });

  it('leaves defaults out', () => {
    const params = explorerParams({ chart: { ...DEFAULT_CHART, source_id: 1 }, time: { kind: 'relative', range: '1h' } });
    expect(params.toString()).toBe('source=1&agg=count');
  });

  it('round-trips an absolute window', () => {
    const zoomed: ExplorerState = {
      ...state,
      time: { kind: 'absolute', start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' },
    };
    expect(parseExplorer(explorerParams(zoomed))).toEqual(zoomed);
  });

  it('falls back to defaults for malformed values', () => {
    const parsed = parseExplorer(
      new URLSearchParams('source=abc&agg=drop&display=pie&gran=often&range=forever&from=yesterday&to=x'),
    );
    expect(parsed.chart).toEqual(DEFAULT_CHART);
    expect(parsed.time).toEqual({ kind: 'relative', range: '1h' });
  });

  it('gives an aggregation that needs a field an empty one', () => {
    expect(parseExplorer(new URLSearchParams('agg=avg')).chart.series[0]?.field).toBe('');
  });

  it('makes a link to the explorer', () => {
    expect(explorerLink({ ...DEFAULT_CHART, source_id: 2 }, { kind: 'relative', range: '1h' })).toBe(
      '/charts?source=2&agg=count',
    );
  });
});

describe('ranges and windows', () => {
  it('accepts the schema range durations', () => {
    expect(isRange('15m')).toBe(true);
    expect(isRange('30d')).toBe(true);
    expect(isRange('30s')).toBe(false);
    expect(isRange('500d')).toBe(false);
    expect(isRange('1y')).toBe(false);
  });

  it('labels ranges', () => {
    expect(rangeLabel('1h')).toBe('Last hour');
    expect(rangeLabel('24h')).toBe('Last 24 hours');
  });

  it('ends a relative window a second after now, in whole seconds', () => {
    const window = timeWindow({ kind: 'relative', range: '15m' }, new Date('2024-05-01T12:00:00.400Z'));
    expect(window).toEqual({ start: '2024-05-01T11:45:00.000Z', end: '2024-05-01T12:00:01.000Z' });
  });
});

describe('chart helpers', () => {
  it('splits group-by fields on commas outside brackets and quotes', () => {
    expect(parseFieldList(" ServiceName , LogAttributes['a,b'],, concat(a, b) ")).toEqual([
      'ServiceName',
      "LogAttributes['a,b']",
      'concat(a, b)',
    ]);
  });

  it('names a chart after its series and grouping', () => {
    expect(defaultTitle(state.chart)).toBe('count() where level:error and 1 more by ServiceName, LogAttributes[\'a,b\']');
  });

  it('says what is missing before running', () => {
    expect(chartProblem(DEFAULT_CHART)?.field).toBe('source_id');
    const avg = { ...DEFAULT_CHART, source_id: 1, series: [{ ...DEFAULT_CHART.series[0]!, aggregation: 'avg' as const, field: ' ' }] };
    expect(chartProblem(avg)).toEqual({ field: 'series.0.field', message: 'avg needs a field to aggregate.' });
    expect(chartProblem({ ...DEFAULT_CHART, source_id: 1 })).toBeNull();
  });

  it('cleans a chart for saving', () => {
    const cleaned = cleanChart({
      ...DEFAULT_CHART,
      source_id: 1,
      series: [{ aggregation: 'count', field: 'ignored', where: ' a ', where_language: 'lucene' }],
      group_by: [' x ', ''],
    });
    expect(cleaned.series[0]).toEqual({ aggregation: 'count', field: null, where: 'a', where_language: 'lucene' });
    expect(cleaned.group_by).toEqual(['x']);
  });
});

describe('toSeriesRequest', () => {
  const window = { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' };
  it('sends the series with their filters and the grouping', () => {
    expect(toSeriesRequest(state.chart, window)).toEqual({
      source_id: 3,
      ...window,
      series: [
        { aggregation: 'count', field: null, where: 'level:error', language: 'lucene' },
        { aggregation: 'p95', field: 'duration', where: "ServiceName = 'api'", language: 'sql' },
      ],
      group_by: ['ServiceName', "LogAttributes['a,b']"],
      granularity: '5m',
      max_groups: 10,
    });
  });

  it('drops the grouping of a number', () => {
    expect(toSeriesRequest({ ...state.chart, display: 'number' }, window).group_by).toEqual([]);
  });
});

describe('dashboard view in the URL', () => {
  const saved = { time_range: '6h', refresh: '1m' };
  it('takes the saved defaults when the URL has none', () => {
    expect(parseBoardView(new URLSearchParams(), saved)).toEqual({ time: { kind: 'relative', range: '6h' }, refresh: '1m' });
    expect(parseBoardView(new URLSearchParams(), { time_range: null, refresh: '2h' })).toEqual({
      time: { kind: 'relative', range: '1h' },
      refresh: 'off',
    });
  });

  it('round-trips the URL', () => {
    const view = { time: { kind: 'absolute' as const, start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:30:00.000Z' }, refresh: '30s' };
    expect(parseBoardView(boardViewParams(view), saved)).toEqual(view);
    const relative = { time: { kind: 'relative' as const, range: '7d' }, refresh: 'off' };
    expect(parseBoardView(boardViewParams(relative), saved)).toEqual(relative);
  });
});

import { describe, expect, it } from 'vitest';
import {
  chartProblem,
  cleanChart,
  DEFAULT_CHART,
  defaultTitle,
  explorerLink,
  explorerParams,
  granularityLabel,
  isGranularity,
  parseExplorer,
  parseFieldList,
  rangeToSave,
  refreshLabel,
  refreshMs,
  toSeriesRequest,
  boardViewParams,
  parseBoardView,
  type BoardView,
  type ExplorerState,
} from './chartState';
import { zoomSpec } from '../time';

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

  it('round-trips a range dragged on a chart, and any typed duration', () => {
    const dragged: ExplorerState = { ...state, time: zoomSpec(1714557600400, 1714559400100) };
    expect(parseExplorer(explorerParams(dragged))).toEqual(dragged);
    const typed: ExplorerState = { ...state, time: { kind: 'relative', range: '45m' } };
    expect(parseExplorer(explorerParams(typed))).toEqual(typed);
  });

  it('falls back to defaults for malformed values', () => {
    const parsed = parseExplorer(
      new URLSearchParams('source=abc&agg=drop&display=pie&gran=often&range=forever&from=yesterday&to=x'),
    );
    expect(parsed.chart).toEqual(DEFAULT_CHART);
    expect(parsed.time).toEqual({ kind: 'relative', range: '1h' });
    // A half or empty absolute range gives way to the relative one.
    expect(parseExplorer(new URLSearchParams('from=2024-05-01T10:00:00Z&range=6h')).time).toEqual({ kind: 'relative', range: '6h' });
    const empty = 'from=2024-05-01T10:00:00Z&to=2024-05-01T10:00:00.000Z';
    expect(parseExplorer(new URLSearchParams(empty)).time).toEqual({ kind: 'relative', range: '1h' });
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

describe('durations', () => {
  it('accepts bucket sizes with seconds', () => {
    expect(isGranularity('auto')).toBe(true);
    expect(isGranularity('30s')).toBe(true);
    expect(isGranularity('often')).toBe(false);
    expect(granularityLabel('1m')).toBe('1 minute');
    expect(granularityLabel('auto')).toBe('Auto');
  });

  it('refreshes on a period, or not at all', () => {
    expect(refreshMs('30s')).toBe(30_000);
    expect(refreshMs('off')).toBeNull();
    expect(refreshLabel('1m')).toBe('Every 1 minute');
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

  it('round-trips the URL, absolute ranges included', () => {
    const view: BoardView = { time: { kind: 'absolute', start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:30:00.000Z' }, refresh: '30s' };
    expect(parseBoardView(boardViewParams(view), saved)).toEqual(view);
    const dragged: BoardView = { time: zoomSpec(1714557600400, 1714559400100), refresh: 'off' };
    expect(parseBoardView(boardViewParams(dragged), saved)).toEqual(dragged);
    for (const range of ['7d', '1h', '45m']) {
      const relative: BoardView = { time: { kind: 'relative', range }, refresh: 'off' };
      expect(parseBoardView(boardViewParams(relative), saved)).toEqual(relative);
    }
  });

  it('falls back to the saved defaults for malformed values', () => {
    const params = new URLSearchParams('range=forever&refresh=2s&from=x&to=2024-05-01T10:00:00Z');
    expect(parseBoardView(params, saved)).toEqual({ time: { kind: 'relative', range: '6h' }, refresh: '1m' });
    expect(parseBoardView(new URLSearchParams(), { time_range: 'bad', refresh: 'off' }).time).toEqual({ kind: 'relative', range: '1h' });
  });

  it('saves relative ranges only: an absolute one keeps the saved default', () => {
    expect(rangeToSave({ kind: 'relative', range: '24h' }, '6h')).toBe('24h');
    expect(rangeToSave({ kind: 'absolute', start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' }, '6h')).toBe('6h');
    expect(rangeToSave({ kind: 'absolute', start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' }, null)).toBeNull();
  });
});

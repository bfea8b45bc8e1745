import { describe, expect, it } from 'vitest';
import type { ChartAnswer } from '../chartsApi';
import { DEFAULT_PREFS } from '../prefs';
import {
  axisTimes,
  formatMs,
  formatPercent,
  formatValue,
  hasLonePoints,
  headline,
  isEmpty,
  percentOf,
  stack,
  tableRows,
  toPlotData,
} from './series';

const buckets = ['2024-05-01T10:00:00Z', '2024-05-01T10:01:00Z', '2024-05-01T10:02:00Z'];

const grouped: ChartAnswer = {
  bucket_seconds: 60,
  buckets,
  group_by: ['ServiceName'],
  series: [
    {
      label: 'count()',
      aggregation: 'count',
      field: null,
      groups_dropped: false,
      groups: [
        { key: ['api'], label: 'api', total: 5, values: [1, 0, 4] },
        { key: [''], label: '', total: 2, values: [2, 0, 0] },
      ],
    },
  ],
};

const ungrouped: ChartAnswer = {
  bucket_seconds: 60,
  buckets,
  group_by: [],
  series: [
    { label: 'count()', aggregation: 'count', field: null, groups_dropped: false, groups: [{ key: [], label: '', total: 3, values: [1, 2, 0] }] },
    { label: 'avg(duration)', aggregation: 'avg', field: 'duration', groups_dropped: false, groups: [{ key: [], label: '', total: 7.5, values: [5, null, 10] }] },
  ],
};

describe('toPlotData', () => {
  it('makes a line per group, named by the group', () => {
    const data = toPlotData(grouped);
    expect(data.x).toEqual([1714557600, 1714557660, 1714557720]);
    expect(data.series.map((s) => s.label)).toEqual(['api', '(empty)']);
    expect(data.series[0]?.values).toEqual([1, 0, 4]);
    expect(data.series[0]?.total).toBe(5);
  });

  it('names ungrouped series by the series and keeps gaps as null', () => {
    const data = toPlotData(ungrouped);
    expect(data.series.map((s) => s.label)).toEqual(['count()', 'avg(duration)']);
    expect(data.series[1]?.values).toEqual([5, null, 10]);
  });

  it('joins series and group names when there are several of each', () => {
    const answer: ChartAnswer = { ...grouped, series: [grouped.series[0]!, { ...grouped.series[0]!, label: 'max(x)' }] };
    expect(toPlotData(answer).series.map((s) => s.label)).toEqual(['count() · api', 'count() · (empty)', 'max(x) · api', 'max(x) · (empty)']);
  });

  it('knows an empty chart', () => {
    expect(isEmpty(toPlotData({ ...grouped, series: [] }))).toBe(true);
    expect(isEmpty(toPlotData({ ...grouped, series: [{ ...grouped.series[0]!, groups: [{ key: ['a'], label: 'a', total: 0, values: [0, 0, 0] }] }] }))).toBe(true);
    expect(isEmpty(toPlotData(grouped))).toBe(false);
  });
});

describe('shapes', () => {
  it('finds lone points between gaps', () => {
    expect(hasLonePoints([null, 1, null])).toBe(true);
    expect(hasLonePoints([1, null, null])).toBe(true);
    expect(hasLonePoints([1, 2, null])).toBe(false);
  });

  it('stacks bars, keeping gaps', () => {
    expect(stack([[1, null, 3], [2, 2, null], [1, 1, 1]])).toEqual([[1, null, 3], [3, 2, null], [4, 3, 4]]);
  });

  it('computes a percentage per bucket', () => {
    expect(percentOf([1, 0, null, 2], [4, 0, 5, null])).toEqual([25, null, 0, null]);
  });
});

describe('tables and numbers', () => {
  it('joins series totals by group', () => {
    const answer: ChartAnswer = {
      ...grouped,
      series: [
        grouped.series[0]!,
        { ...grouped.series[0]!, label: 'p95(duration)', groups: [{ key: ['api'], label: 'api', total: 12, values: [] }] },
      ],
    };
    const table = tableRows(answer);
    expect(table.columns).toEqual(['count()', 'p95(duration)']);
    expect(table.groupColumns).toEqual(['ServiceName']);
    expect(table.rows.map((r) => [r.group, r.cells])).toEqual([
      [['api'], [5, 12]],
      [['(empty)'], [2, null]],
    ]);
  });

  it('headlines the first series: a sum of counts over groups', () => {
    expect(headline(grouped)).toBe(7);
    expect(headline(ungrouped)).toBe(3);
    expect(headline({ ...grouped, series: [] })).toBeNull();
  });

  it('formats values', () => {
    expect(formatValue(null)).toBe('—');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(12.345)).toBe('12.35');
    expect(formatValue(1234.5)).toBe('1,235');
    expect(formatValue(1_234_567)).toBe('1.2M');
    expect(formatValue(0.001234)).toBe('0.00123');
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(1500)).toBe('1.5 s');
    expect(formatPercent(12.5)).toBe('12.5%');
    expect(formatPercent(0.01)).toBe('<0.1%');
  });
});

describe('axisTimes', () => {
  const utc = { ...DEFAULT_PREFS, timeZone: 'UTC' };
  it('shows the time, and the date when it changes', () => {
    const t = Date.parse('2024-05-01T23:00:00Z') / 1000;
    expect(axisTimes([t, t + 1800, t + 3600], utc)).toEqual(['23:00\n05-01', '23:30', '00:00\n05-02']);
  });

  it('shows seconds when ticks are closer than a minute', () => {
    const t = Date.parse('2024-05-01T10:00:00Z') / 1000;
    expect(axisTimes([t, t + 15], utc)).toEqual(['10:00:00\n05-01', '10:00:15']);
  });

  it('shows only dates when ticks are days apart, and follows the zone and clock', () => {
    const t = Date.parse('2024-05-01T00:00:00Z') / 1000;
    expect(axisTimes([t, t + 86400], utc)).toEqual(['05-01', '05-02']);
    const ny = { ...DEFAULT_PREFS, timeZone: 'America/New_York', hour12: true };
    expect(axisTimes([Date.parse('2024-05-01T18:00:00Z') / 1000, Date.parse('2024-05-01T19:00:00Z') / 1000], ny)).toEqual([
      '02:00 pm\n05-01',
      '03:00 pm',
    ]);
  });
});

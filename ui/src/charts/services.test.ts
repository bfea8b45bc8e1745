import { describe, expect, it } from 'vitest';
import type { ChartAnswer } from '../chartsApi';
import { formatRate, operationsRequest, quoted, serviceRequest, serviceRows, servicesRequest } from './services';

const window = { start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T11:00:00.000Z' };

function series(label: string, groups: [string, number | null][]): ChartAnswer['series'][number] {
  return {
    label,
    aggregation: 'count',
    field: null,
    groups_dropped: false,
    groups: groups.map(([name, total]) => ({ key: [name], label: name, total, values: [] })),
  };
}

describe('services requests', () => {
  it('quotes a service name for the search language', () => {
    expect(quoted('api')).toBe('"api"');
    expect(quoted('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
  });

  it('asks for requests, errors and percentiles by service', () => {
    const body = servicesRequest(4, window, 'entry');
    expect(body.group_by).toEqual(['ServiceName']);
    expect(body.where).toBe('(SpanKind:"Server" OR SpanKind:"Consumer")');
    expect(body.series.map((s) => [s.aggregation, s.where ?? '', s.field ?? null])).toEqual([
      ['count', '', null],
      ['count', 'StatusCode:"Error"', null],
      ['p50', '', 'duration'],
      ['p95', '', 'duration'],
      ['p99', '', 'duration'],
    ]);
    expect(servicesRequest(4, window, 'all').where).toBe('');
  });

  it('narrows to one service', () => {
    expect(serviceRequest(4, window, 'all', 'pay "x"').where).toBe('ServiceName:"pay \\"x\\""');
    expect(operationsRequest(4, window, 'entry', 'api').where).toBe(
      '(SpanKind:"Server" OR SpanKind:"Consumer") AND ServiceName:"api"',
    );
  });
});

describe('serviceRows', () => {
  it('joins the series by service, with rates', () => {
    const answer: ChartAnswer = {
      bucket_seconds: 60,
      buckets: [],
      group_by: ['ServiceName'],
      series: [
        series('Requests', [['api', 360], ['auth', 36]]),
        series('Errors', [['api', 9]]),
        series('p50', [['api', 12], ['auth', 3]]),
        series('p95', [['api', 80], ['auth', 9]]),
        series('p99', [['auth', 10], ['api', null]]),
      ],
    };
    expect(serviceRows(answer, window)).toEqual([
      { name: 'api', requests: 360, rate: 0.1, errors: 9, errorRate: 2.5, p50: 12, p95: 80, p99: null },
      { name: 'auth', requests: 36, rate: 0.01, errors: 0, errorRate: 0, p50: 3, p95: 9, p99: 10 },
    ]);
  });

  it('formats rates per second or per minute', () => {
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.1)).toBe('6.0/min');
    expect(formatRate(0.01)).toBe('0.60/min');
    expect(formatRate(2.345)).toBe('2.3/s');
    expect(formatRate(250.4)).toBe('250/s');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_RANGE, isRange, RANGES, rangeLabel, rangeMs, rangeWindow } from './time';

describe('rangeWindow', () => {
  const now = new Date('2024-05-01T12:00:00.400Z');

  it('covers the range up to one second past now, in whole seconds', () => {
    expect(rangeWindow('15m', now)).toEqual({ start: '2024-05-01T11:45:00.000Z', end: '2024-05-01T12:00:01.000Z' });
    expect(rangeWindow('1h', now)).toEqual({ start: '2024-05-01T11:00:00.000Z', end: '2024-05-01T12:00:01.000Z' });
  });

  it('crosses days and months', () => {
    expect(rangeWindow('24h', now).start).toBe('2024-04-30T12:00:00.000Z');
    expect(rangeWindow('7d', now).start).toBe('2024-04-24T12:00:00.000Z');
  });

  it('gives the same window within one second', () => {
    expect(rangeWindow('1h', new Date('2024-05-01T12:00:00.001Z'))).toEqual(
      rangeWindow('1h', new Date('2024-05-01T12:00:00.999Z')),
    );
  });

  it('spans the range plus the one second', () => {
    for (const range of RANGES) {
      const { start, end } = rangeWindow(range, now);
      expect(Date.parse(end) - Date.parse(start)).toBe(rangeMs(range) + 1000);
    }
  });
});

describe('ranges', () => {
  it('knows its keys only', () => {
    expect(RANGES.every(isRange)).toBe(true);
    expect(isRange('2h')).toBe(false);
    expect(isRange('')).toBe(false);
    expect(isRange(undefined)).toBe(false);
    expect(isRange('constructor')).toBe(false);
    expect(isRange(DEFAULT_RANGE)).toBe(true);
  });

  it('has a label for each', () => {
    expect(rangeLabel('24h')).toBe('Last 24 hours');
    expect(new Set(RANGES.map(rangeLabel)).size).toBe(RANGES.length);
  });
});

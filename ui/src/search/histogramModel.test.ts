import { describe, expect, it } from 'vitest';
import { maxStack, niceMax, orderSeries, seriesColor, timeAt, timeTicks, xOf } from './histogramModel';

describe('series', () => {
  it('stacks errors first, then by severity, then by size', () => {
    const names = orderSeries([
      { name: 'INFO', counts: [5] },
      { name: 'custom', counts: [9] },
      { name: 'ERROR', counts: [1] },
      { name: 'WARN', counts: [2] },
      { name: 'DEBUG', counts: [3] },
      { name: 'other', counts: [10] },
    ]).map((s) => s.name);
    expect(names).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG', 'other', 'custom']);
  });

  it('colours errors red and status codes sensibly', () => {
    expect(seriesColor('ERROR', 0)).toBe(seriesColor('Error', 5));
    expect(seriesColor('err', 0)).toBe('#e5484d');
    expect(seriesColor('Ok', 0)).toBe('#30a46c');
    expect(seriesColor('something', 0)).not.toBe(seriesColor('something', 1));
  });

  it('finds the tallest stack', () => {
    expect(maxStack([{ name: 'a', counts: [1, 5, 2] }, { name: 'b', counts: [4, 1] }], 3)).toBe(6);
    expect(maxStack([], 3)).toBe(0);
  });
});

describe('axes', () => {
  it('rounds the y axis up to 1, 2 or 5 × 10^n', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(1000)).toBe(1000);
  });

  it('puts time ticks on round instants', () => {
    const start = Date.parse('2024-05-01T12:03:10Z');
    const ticks = timeTicks(start, start + 15 * 60_000, 6);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(8);
    for (const t of ticks) expect(t % 60_000).toBe(0);
    expect(timeTicks(start, start)).toEqual([]);
  });

  it('maps pixels to times and back', () => {
    const a = Date.parse('2024-05-01T12:00:00Z');
    const b = a + 100_000;
    expect(timeAt(250, 1000, a, b)).toBe(a + 25_000);
    expect(timeAt(-5, 1000, a, b)).toBe(a);
    expect(timeAt(2000, 1000, a, b)).toBe(b);
    expect(xOf(a + 25_000, 1000, a, b)).toBe(250);
  });
});

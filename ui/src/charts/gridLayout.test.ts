import { describe, expect, it } from 'vitest';
import type { Tile } from '../chartsApi';
import { applyLayout, fitToGrid, newTileId, placeNewTile, samePlaces, tilesToLayout } from './gridLayout';

function tile(id: string, x: number, y: number, w: number, h: number): Tile {
  return {
    id,
    x,
    y,
    w,
    h,
    title: id,
    chart: { display: 'line', source_id: 1, series: [{ aggregation: 'count', field: null, where: '', where_language: 'lucene' }], group_by: [], granularity: 'auto' },
  };
}

describe('tiles and layouts', () => {
  it('makes a layout item per tile', () => {
    expect(tilesToLayout([tile('a', 0, 0, 12, 8)])).toEqual([{ i: 'a', x: 0, y: 0, w: 12, h: 8, minW: 3, minH: 3, maxH: 50 }]);
  });

  it('applies a layout, keeping tiles inside the grid', () => {
    const tiles = [tile('a', 0, 0, 12, 8), tile('b', 12, 0, 12, 8), tile('c', 0, 8, 6, 4)];
    const moved = applyLayout(tiles, [
      { i: 'a', x: 20, y: 3, w: 10, h: 60 },
      { i: 'b', x: 0, y: 0, w: 24, h: 2 },
    ]);
    expect(moved.map(({ id, x, y, w, h }) => ({ id, x, y, w, h }))).toEqual([
      { id: 'a', x: 14, y: 3, w: 10, h: 50 },
      { id: 'b', x: 0, y: 0, w: 24, h: 2 },
      { id: 'c', x: 0, y: 8, w: 6, h: 4 },
    ]);
    expect(moved[0]?.chart).toBe(tiles[0]?.chart);
  });

  it('fits odd values to the grid', () => {
    expect(fitToGrid({ x: -3, y: 2.6, w: 0, h: 0 })).toEqual({ x: 0, y: 3, w: 1, h: 1 });
  });

  it('compares places regardless of order', () => {
    const a = [tile('a', 0, 0, 12, 8), tile('b', 12, 0, 12, 8)];
    expect(samePlaces(a, [a[1]!, a[0]!])).toBe(true);
    expect(samePlaces(a, [a[0]!, { ...a[1]!, h: 9 }])).toBe(false);
    expect(samePlaces(a, [a[0]!])).toBe(false);
  });
});

describe('new tiles', () => {
  it('starts at the top left', () => {
    expect(placeNewTile([])).toEqual({ x: 0, y: 0, w: 12, h: 8 });
  });

  it('goes beside the last row when there is room', () => {
    expect(placeNewTile([tile('a', 0, 0, 12, 8)])).toEqual({ x: 12, y: 0, w: 12, h: 8 });
  });

  it('goes under everything when the last row is full', () => {
    expect(placeNewTile([tile('a', 0, 0, 12, 8), tile('b', 12, 0, 12, 8)])).toEqual({ x: 0, y: 8, w: 12, h: 8 });
  });

  it('does not overlap a tall tile reaching into the space', () => {
    const tiles = [tile('tall', 12, 0, 12, 20), tile('a', 0, 10, 6, 4)];
    expect(placeNewTile(tiles)).toEqual({ x: 0, y: 20, w: 12, h: 8 });
  });

  it('makes ids that are not taken', () => {
    const values = [0, 0, 0.5];
    let n = 0;
    const random = () => values[n++] ?? 0.9;
    expect(newTileId([tile('tile-000000', 0, 0, 1, 1)], random)).toMatch(/^tile-[0-9a-z]{6}$/);
    expect(n).toBe(3);
  });
});

/** Dashboard tiles ↔ react-grid-layout's layout, on the dashboard schema's 24-column grid. */
import type { Layout, LayoutItem } from 'react-grid-layout';
import type { Tile } from '../chartsApi';

export const GRID_COLUMNS = 24;
export const MAX_ROWS_PER_TILE = 50;
export const MAX_Y = 10_000;
export const ROW_HEIGHT = 32;
export const NEW_TILE = { w: 12, h: 8 };
export const MIN_TILE = { w: 3, h: 3 };

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Math.round(Number.isFinite(value) ? value : low)));
}

/** A tile's place made valid for the schema: inside the 24 columns, 1–50 rows high. */
export function fitToGrid<T extends Pick<Tile, 'x' | 'y' | 'w' | 'h'>>(tile: T): T {
  const w = clamp(tile.w, 1, GRID_COLUMNS);
  const x = clamp(tile.x, 0, GRID_COLUMNS - w);
  return { ...tile, x, w, y: clamp(tile.y, 0, MAX_Y), h: clamp(tile.h, 1, MAX_ROWS_PER_TILE) };
}

export function tilesToLayout(tiles: readonly Tile[]): LayoutItem[] {
  return tiles.map((tile) => {
    const { x, y, w, h } = fitToGrid(tile);
    return {
      i: tile.id,
      x,
      y,
      w,
      h,
      minW: Math.min(MIN_TILE.w, w),
      minH: Math.min(MIN_TILE.h, h),
      maxH: MAX_ROWS_PER_TILE,
    };
  });
}

/** The tiles with the places a layout gives them; tiles the layout does not mention keep theirs. */
export function applyLayout(tiles: readonly Tile[], layout: Layout): Tile[] {
  const places = new Map(layout.map((item) => [item.i, item]));
  return tiles.map((tile) => {
    const place = places.get(tile.id);
    return place ? fitToGrid({ ...tile, x: place.x, y: place.y, w: place.w, h: place.h }) : tile;
  });
}

/** Whether two tile lists sit in the same places (the order of the list does not matter). */
export function samePlaces(a: readonly Tile[], b: readonly Tile[]): boolean {
  if (a.length !== b.length) return false;
  const places = new Map(a.map((t) => [t.id, t]));
  return b.every((t) => {
    const other = places.get(t.id);
    return other !== undefined && other.x === t.x && other.y === t.y && other.w === t.w && other.h === t.h;
  });
}

/** Where a new tile goes: the first gap on the last row wide enough for it, else under everything. */
export function placeNewTile(tiles: readonly Tile[], size: { w: number; h: number } = NEW_TILE): {
  x: number;
  y: number;
  w: number;
  h: number;
} {
  const w = clamp(size.w, 1, GRID_COLUMNS);
  const h = clamp(size.h, 1, MAX_ROWS_PER_TILE);
  if (tiles.length === 0) return { x: 0, y: 0, w, h };
  const bottom = Math.max(...tiles.map((t) => t.y + t.h));
  const lastRowTop = Math.max(...tiles.map((t) => t.y));
  const onLastRow = tiles.filter((t) => t.y + t.h > lastRowTop);
  const right = Math.max(...onLastRow.map((t) => t.x + t.w));
  // Beside the last row's tiles, if nothing else reaches into that space.
  const fits =
    right + w <= GRID_COLUMNS &&
    tiles.every((t) => t.x + t.w <= right || t.y + t.h <= lastRowTop || t.y >= lastRowTop + h);
  return fits ? { x: right, y: lastRowTop, w, h } : { x: 0, y: Math.min(bottom, MAX_Y), w, h };
}

/** A tile id not used on the dashboard yet (the schema: letters, digits, _ . : -). */
export function newTileId(tiles: readonly Tile[], random: () => number = Math.random): string {
  const used = new Set(tiles.map((t) => t.id));
  for (;;) {
    const id = `tile-${Math.floor(random() * 36 ** 6)
      .toString(36)
      .padStart(6, '0')}`;
    if (!used.has(id)) return id;
  }
}

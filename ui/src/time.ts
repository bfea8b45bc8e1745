/** Relative time ranges ("the last hour") and the absolute start/end a search sends. */

export const RANGES = ['15m', '1h', '24h', '7d'] as const;
export type RangeKey = (typeof RANGES)[number];
export const DEFAULT_RANGE: RangeKey = '15m';

const RANGE_MS: Record<RangeKey, number> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

const RANGE_LABELS: Record<RangeKey, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
};

export function isRange(value: unknown): value is RangeKey {
  return typeof value === 'string' && (RANGES as readonly string[]).includes(value);
}

export function rangeLabel(range: RangeKey): string {
  return RANGE_LABELS[range];
}

export function rangeMs(range: RangeKey): number {
  return RANGE_MS[range];
}

export interface TimeWindow {
  /** ISO 8601 UTC, inclusive. */
  start: string;
  /** ISO 8601 UTC, exclusive. */
  end: string;
}

/**
 * The window a relative range covers at `now`. The end is one second past now (the API's end is
 * exclusive, and a record stamped by a sender whose clock runs a little ahead should still show), and
 * both ends are whole seconds, so pages of one search share one stable window.
 */
export function rangeWindow(range: RangeKey, now: Date = new Date()): TimeWindow {
  const endMs = Math.floor(now.getTime() / 1000) * 1000 + 1000;
  const startMs = endMs - 1000 - RANGE_MS[range];
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}

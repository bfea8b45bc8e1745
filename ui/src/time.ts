/**
 * Time ranges: relative ("the last hour", kept as a duration such as `1h`) or absolute (a start and an
 * end instant), and the absolute window a search sends to the API.
 */
import { formatInstant, type Prefs } from './prefs';

/** The preset relative ranges offered by the picker. Any other duration (`45m`, `3d`) works too. */
export const RANGES = ['5m', '15m', '30m', '1h', '3h', '6h', '12h', '24h', '2d', '7d', '14d', '30d'] as const;
/** The Search page's range; charts, dashboards and services start on the last hour (`CHART_TIME`). */
export const DEFAULT_RANGE = '15m';

const DURATION = /^([1-9]\d{0,5})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const UNIT_WORDS: Record<string, [string, string]> = {
  s: ['second', 'seconds'],
  m: ['minute', 'minutes'],
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  w: ['week', 'weeks'],
};
/** The API takes relative ranges (saved searches, dashboards) from one minute to 400 days, without seconds. */
const MIN_RELATIVE_MS = 60_000;
const MAX_RELATIVE_MS = 400 * 86_400_000;

/** Milliseconds of any duration such as `30s`, `15m` or `7d` (bucket sizes, refresh periods), else null. */
export function spanMs(value: unknown): number | null {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  return match ? Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0) : null;
}

/** A duration in words: "5 minutes", "1 hour"; the text itself when it is not a duration. */
export function durationWords(value: string, one = '1'): string {
  const match = DURATION.exec(value);
  const words = match ? UNIT_WORDS[match[2] ?? ''] : undefined;
  if (!match || !words) return value;
  return match[1] === '1' ? `${one} ${words[0]}`.trim() : `${match[1]} ${words[1]}`;
}

/** Milliseconds of a relative range such as `15m`, `3h`, `7d`, `2w` (1 minute to 400 days), else null. */
export function durationMs(value: unknown): number | null {
  const ms = typeof value === 'string' && !value.endsWith('s') ? spanMs(value) : null;
  return ms !== null && ms >= MIN_RELATIVE_MS && ms <= MAX_RELATIVE_MS ? ms : null;
}

export function isRelative(value: unknown): value is string {
  return durationMs(value) !== null;
}

/** "Last 15 minutes", "Last hour", "Last 24 hours": for any valid duration. */
export function rangeLabel(range: string): string {
  return DURATION.test(range) ? `Last ${durationWords(range, '')}` : range;
}

export interface TimeWindow {
  /** ISO 8601 UTC, inclusive. */
  start: string;
  /** ISO 8601 UTC, exclusive. */
  end: string;
}

/** What a page asks for: a duration up to now, or fixed instants (ISO 8601 UTC). */
export type TimeSpec = RelativeSpec | { kind: 'absolute'; start: string; end: string };
export type RelativeSpec = { kind: 'relative'; range: string };

export const DEFAULT_TIME: TimeSpec = { kind: 'relative', range: DEFAULT_RANGE };
/** Where charts, dashboards and the services page start. */
export const CHART_TIME: RelativeSpec = { kind: 'relative', range: '1h' };

/**
 * The window a relative range covers at `now`. The end is one second past now (the API's end is
 * exclusive, and a record stamped by a sender whose clock runs a little ahead should still show), and
 * both ends are whole seconds, so pages of one search share one stable window.
 */
export function rangeWindow(range: string, now: Date = new Date()): TimeWindow {
  const endMs = Math.floor(now.getTime() / 1000) * 1000 + 1000;
  const startMs = endMs - 1000 - (durationMs(range) ?? durationMs(DEFAULT_RANGE) ?? 0);
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString() };
}

/** The window a time spec covers (at `now` for a relative one). */
export function specWindow(spec: TimeSpec, now: Date = new Date()): TimeWindow {
  return spec.kind === 'relative' ? rangeWindow(spec.range, now) : { start: spec.start, end: spec.end };
}

/** An ISO instant normalised to `…Z` with milliseconds, or null when it is not a time. */
export function normaliseInstant(value: string | null | undefined): string | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** An absolute spec from two instants (either order); null if either is not a time or they are equal. */
export function absoluteSpec(start: string, end: string): TimeSpec | null {
  const a = normaliseInstant(start);
  const b = normaliseInstant(end);
  if (a === null || b === null || a === b) return null;
  return a < b ? { kind: 'absolute', start: a, end: b } : { kind: 'absolute', start: b, end: a };
}

/**
 * The time a page's URL gives: `from`/`to` (two instants, an absolute range) or `range` (a relative one).
 * Anything missing or malformed gives `fallback`.
 */
export function timeFromParams(params: URLSearchParams, fallback: TimeSpec = DEFAULT_TIME): TimeSpec {
  const from = params.get('from');
  const to = params.get('to');
  const absolute = from !== null && to !== null ? absoluteSpec(from, to) : null;
  if (absolute) return absolute;
  const range = params.get('range');
  return isRelative(range) ? { kind: 'relative', range } : fallback;
}

/** Writes a time into a page's URL; a relative range equal to `fallback`'s is left out, unless `always`. */
export function setTimeParams(params: URLSearchParams, spec: TimeSpec, fallback: TimeSpec = DEFAULT_TIME, always = false): void {
  if (spec.kind === 'absolute') {
    params.set('from', spec.start);
    params.set('to', spec.end);
  } else if (always || fallback.kind !== 'relative' || spec.range !== fallback.range) {
    params.set('range', spec.range);
  }
}

/**
 * The absolute range a drag on a chart selected, from two positions in milliseconds (either order):
 * widened to whole seconds and at least one second long, so it is a valid, shareable range.
 */
export function zoomSpec(fromMs: number, toMs: number): TimeSpec {
  const low = Math.floor(Math.min(fromMs, toMs) / 1000) * 1000;
  let high = Math.ceil(Math.max(fromMs, toMs) / 1000) * 1000;
  if (high <= low) high = low + 1000;
  return { kind: 'absolute', start: new Date(low).toISOString(), end: new Date(high).toISOString() };
}

/** A short label for a spec: "Last hour", or "2024-05-01 12:00:00 → 12:30:00" in the user's zone. */
export function specLabel(spec: TimeSpec, prefs: Prefs): string {
  if (spec.kind === 'relative') return rangeLabel(spec.range);
  const start = formatInstant(spec.start, prefs, { ms: false });
  const end = formatInstant(spec.end, prefs, { ms: false });
  const sameDay = start.slice(0, 10) === end.slice(0, 10);
  return `${start} → ${sameDay ? end.slice(11) : end}`;
}

// --- wall-clock times in a time zone ------------------------------------------------------------------

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** How far `zone`'s wall clock is ahead of UTC at the instant `ms` ('local': the browser's zone). */
export function zoneOffsetMs(zone: string, ms: number): number {
  let format = offsetFormatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone === 'local' ? undefined : zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(zone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant (ISO) of a wall-clock time typed in `zone`: "2024-05-01 14:00", "2024-05-01T14:00:30"
 * or a date alone (midnight). Null when the text is not such a time. A time that a DST change skips
 * resolves to the instant after the gap, as most calendars do.
 */
export function wallToUtc(text: string, zone: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(text.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 59) return null;
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis);
  const check = new Date(wall);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month! - 1) return null; // 31 April and the like
  // The offset at the guess, then at the corrected instant: right on both sides of a DST change.
  let utc = wall - zoneOffsetMs(zone, wall);
  utc = wall - zoneOffsetMs(zone, utc);
  return new Date(utc).toISOString();
}

/** An instant as the wall-clock text `wallToUtc` reads back: "2024-05-01 14:00:00" in `zone`. */
export function utcToWall(iso: string, zone: string): string {
  return formatInstant(iso, { theme: 'light', timeZone: zone, hour12: false }, { ms: false });
}

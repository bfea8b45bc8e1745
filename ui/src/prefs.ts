/**
 * The user's display preferences (theme, time zone, 12/24 h), kept in this browser's localStorage.
 *
 * Times from the API are UTC instants; `formatInstant` shows them in the chosen zone, which may be any
 * IANA zone ("America/New_York"), the browser's own ("local") or UTC.
 */

export type Theme = 'light' | 'dark' | 'system';

export interface Prefs {
  theme: Theme;
  /** 'local' for the browser's zone, else an IANA zone name such as 'UTC' or 'Europe/Paris'. */
  timeZone: string;
  hour12: boolean;
}

export const DEFAULT_PREFS: Prefs = { theme: 'system', timeZone: 'local', hour12: false };
export const PREFS_KEY = 'otelhouse.prefs';

/** Whether the runtime knows an IANA zone name. */
export function isTimeZone(zone: string): boolean {
  if (zone === 'local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone the browser knows, for the preferences picker. */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

/** Preferences from stored JSON; anything missing or malformed keeps its default. */
export function parsePrefs(stored: string | null): Prefs {
  if (!stored) return DEFAULT_PREFS;
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return DEFAULT_PREFS;
  }
  if (typeof raw !== 'object' || raw === null) return DEFAULT_PREFS;
  const r = raw as Record<string, unknown>;
  return {
    theme: r.theme === 'light' || r.theme === 'dark' || r.theme === 'system' ? r.theme : DEFAULT_PREFS.theme,
    timeZone: typeof r.timeZone === 'string' && isTimeZone(r.timeZone) ? r.timeZone : DEFAULT_PREFS.timeZone,
    hour12: typeof r.hour12 === 'boolean' ? r.hour12 : DEFAULT_PREFS.hour12,
  };
}

export function loadPrefs(): Prefs {
  try {
    return parsePrefs(globalThis.localStorage?.getItem(PREFS_KEY) ?? null);
  } catch {
    return DEFAULT_PREFS;
  }
}

export function savePrefs(prefs: Prefs): void {
  try {
    globalThis.localStorage?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Private mode or a full quota: the preference still holds for this page's life.
  }
}

/** The theme to paint: 'system' follows the operating system's setting. */
export function effectiveTheme(theme: Theme, systemDark: boolean): 'light' | 'dark' {
  return theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
}

/**
 * An instant as an ISO-8601 string with a zone, parsed to milliseconds since the epoch. ClickHouse's
 * "2024-05-01 12:00:00.123456789" (no zone) is UTC. Returns null for text that is not a time.
 */
export function instantMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return null;
  const fraction = m[3] ? m[3].slice(0, 4) : '';
  const zone = m[4] ?? 'Z';
  const ms = Date.parse(`${m[1]}T${m[2]}${fraction}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(prefs: Prefs, withDate: boolean): Intl.DateTimeFormat {
  const key = `${prefs.timeZone}|${prefs.hour12}|${withDate}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat('en-CA', {
      timeZone: prefs.timeZone === 'local' ? undefined : prefs.timeZone,
      hour12: prefs.hour12,
      year: withDate ? 'numeric' : undefined,
      month: withDate ? '2-digit' : undefined,
      day: withDate ? '2-digit' : undefined,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(key, found);
  }
  return found;
}

/**
 * An instant in the user's zone and clock: "2024-05-01 14:00:00.123" (24 h) or
 * "2024-05-01 02:00:00.123 p.m." (12 h). Text that is not a time is returned as it is.
 */
export function formatInstant(value: unknown, prefs: Prefs, options: { date?: boolean; ms?: boolean } = {}): string {
  const ms = instantMs(value);
  if (ms === null) return value === null || value === undefined ? '' : String(value);
  const parts = formatter(prefs, options.date ?? true).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const hour = get('hour') === '24' ? '00' : get('hour');
  const millis = options.ms === false ? '' : `.${String(Math.floor(((ms % 1000) + 1000) % 1000)).padStart(3, '0')}`;
  const clock = `${hour}:${get('minute')}:${get('second')}${millis}`;
  const period = prefs.hour12 ? ` ${get('dayPeriod')}` : '';
  const date = options.date === false ? '' : `${get('year')}-${get('month')}-${get('day')} `;
  return `${date}${clock}${period}`;
}

import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS } from './prefs';
import {
  absoluteSpec,
  CHART_TIME,
  DEFAULT_RANGE,
  DEFAULT_TIME,
  durationMs,
  durationWords,
  isRelative,
  normaliseInstant,
  RANGES,
  rangeLabel,
  rangeWindow,
  setTimeParams,
  spanMs,
  timeFromParams,
  specLabel,
  specWindow,
  utcToWall,
  wallToUtc,
  zoneOffsetMs,
  zoomSpec,
} from './time';

describe('rangeWindow', () => {
  const now = new Date('2024-05-01T12:00:00.400Z');

  it('covers the range up to one second past now, in whole seconds', () => {
    expect(rangeWindow('15m', now)).toEqual({ start: '2024-05-01T11:45:00.000Z', end: '2024-05-01T12:00:01.000Z' });
    expect(rangeWindow('1h', now)).toEqual({ start: '2024-05-01T11:00:00.000Z', end: '2024-05-01T12:00:01.000Z' });
  });

  it('crosses days and months', () => {
    expect(rangeWindow('24h', now).start).toBe('2024-04-30T12:00:00.000Z');
    expect(rangeWindow('7d', now).start).toBe('2024-04-24T12:00:00.000Z');
    expect(rangeWindow('30d', now).start).toBe('2024-04-01T12:00:00.000Z');
  });

  it('takes any duration, and the default for nonsense', () => {
    expect(rangeWindow('45m', now).start).toBe('2024-05-01T11:15:00.000Z');
    expect(rangeWindow('2w', now).start).toBe('2024-04-17T12:00:00.000Z');
    expect(rangeWindow('nonsense', now)).toEqual(rangeWindow(DEFAULT_RANGE, now));
  });

  it('gives the same window within one second', () => {
    expect(rangeWindow('1h', new Date('2024-05-01T12:00:00.001Z'))).toEqual(
      rangeWindow('1h', new Date('2024-05-01T12:00:00.999Z')),
    );
  });

  it('spans the range plus the one second', () => {
    for (const range of RANGES) {
      const { start, end } = rangeWindow(range, now);
      expect(Date.parse(end) - Date.parse(start)).toBe((durationMs(range) ?? 0) + 1000);
    }
  });
});

describe('ranges', () => {
  it('has valid presets, the defaults among them', () => {
    expect(RANGES.every(isRelative)).toBe(true);
    expect(RANGES).toContain(DEFAULT_RANGE);
    expect(RANGES).toContain(CHART_TIME.range);
    expect(isRelative('constructor')).toBe(false);
  });

  it('reads durations from a minute to 400 days', () => {
    expect(durationMs('1m')).toBe(60_000);
    expect(durationMs('2w')).toBe(14 * 86_400_000);
    expect(durationMs('400d')).toBe(400 * 86_400_000);
    for (const bad of ['', '0m', '30s', '401d', '01h', '1.5h', '1H', ' 1h', '1h ', 'h', '-1h', null, 5]) {
      expect(durationMs(bad)).toBeNull();
      expect(isRelative(bad)).toBe(false);
    }
  });

  it('reads bucket and refresh durations, seconds included', () => {
    expect(spanMs('30s')).toBe(30_000);
    expect(spanMs('5m')).toBe(300_000);
    expect(spanMs('1d')).toBe(86_400_000);
    for (const bad of ['', 'auto', 'off', '0s', '1y', '1.5m', null]) expect(spanMs(bad)).toBeNull();
  });

  it('puts durations in words', () => {
    expect(durationWords('1m')).toBe('1 minute');
    expect(durationWords('30s')).toBe('30 seconds');
    expect(durationWords('1h', '')).toBe('hour');
    expect(durationWords('often')).toBe('often');
  });

  it('has a label for each', () => {
    expect(rangeLabel('24h')).toBe('Last 24 hours');
    expect(rangeLabel('1h')).toBe('Last hour');
    expect(rangeLabel('45m')).toBe('Last 45 minutes');
    expect(rangeLabel('1w')).toBe('Last week');
    expect(new Set(RANGES.map(rangeLabel)).size).toBe(RANGES.length);
  });
});

describe('absolute ranges', () => {
  it('normalises instants to UTC with milliseconds', () => {
    expect(normaliseInstant('2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(normaliseInstant('2024-05-01T14:00:00+02:00')).toBe('2024-05-01T12:00:00.000Z');
    expect(normaliseInstant('2024-05-01T12:00Z')).toBe('2024-05-01T12:00:00.000Z');
    for (const bad of ['', null, '2024-05-01', '2024-05-01T12:00:00', 'yesterday', '2024-13-01T00:00:00Z', '1714564800000']) {
      expect(normaliseInstant(bad)).toBeNull();
    }
  });

  it('orders the two ends and refuses an empty range', () => {
    const spec = absoluteSpec('2024-05-01T13:00:00Z', '2024-05-01T12:00:00Z');
    expect(spec).toEqual({ kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T13:00:00.000Z' });
    expect(absoluteSpec('2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z')).toBeNull();
    expect(absoluteSpec('x', '2024-05-01T12:00:00Z')).toBeNull();
  });

  it('is its own window', () => {
    const spec = { kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T13:00:00.000Z' } as const;
    expect(specWindow(spec)).toEqual({ start: spec.start, end: spec.end });
    expect(specWindow({ kind: 'relative', range: '1h' }, new Date('2024-05-01T12:00:00Z')).start).toBe(
      '2024-05-01T11:00:00.000Z',
    );
  });

  it('labels in the user zone', () => {
    const prefs = { ...DEFAULT_PREFS, timeZone: 'Europe/Paris' };
    expect(specLabel({ kind: 'relative', range: '7d' }, prefs)).toBe('Last 7 days');
    expect(
      specLabel({ kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:30:00.000Z' }, prefs),
    ).toBe('2024-05-01 14:00:00 → 14:30:00');
    expect(
      specLabel({ kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-02T12:30:00.000Z' }, prefs),
    ).toBe('2024-05-01 14:00:00 → 2024-05-02 14:30:00');
  });
});

describe('time in a URL', () => {
  const parse = (query: string, fallback = DEFAULT_TIME) => timeFromParams(new URLSearchParams(query), fallback);
  const write = (spec: Parameters<typeof setTimeParams>[1], fallback = DEFAULT_TIME, always = false) => {
    const params = new URLSearchParams();
    setTimeParams(params, spec, fallback, always);
    return params.toString();
  };
  const absolute = { kind: 'absolute', start: '2024-05-01T10:00:00.000Z', end: '2024-05-01T10:30:00.000Z' } as const;

  it('round-trips relative and absolute ranges', () => {
    for (const spec of [{ kind: 'relative', range: '45m' } as const, { kind: 'relative', range: '2w' } as const, absolute]) {
      expect(parse(write(spec))).toEqual(spec);
      expect(parse(write(spec, CHART_TIME), CHART_TIME)).toEqual(spec);
    }
  });

  it('leaves the page default out unless asked', () => {
    expect(write(DEFAULT_TIME)).toBe('');
    expect(write(CHART_TIME, CHART_TIME)).toBe('');
    expect(write(CHART_TIME, CHART_TIME, true)).toBe('range=1h');
    expect(write(CHART_TIME)).toBe('range=1h');
    expect(write(absolute)).toBe('from=2024-05-01T10%3A00%3A00.000Z&to=2024-05-01T10%3A30%3A00.000Z');
  });

  it('normalises and orders instants', () => {
    expect(parse('from=2024-05-01T12:30:00%2B02:00&to=2024-05-01T10:00:00Z')).toEqual(absolute);
  });

  it('falls back for malformed values', () => {
    expect(parse('range=forever', CHART_TIME)).toEqual(CHART_TIME);
    expect(parse('range=30s')).toEqual(DEFAULT_TIME);
    expect(parse('from=yesterday&to=2024-05-01T10:00:00Z&range=6h')).toEqual({ kind: 'relative', range: '6h' });
    expect(parse('from=2024-05-01T10:00:00Z&range=6h')).toEqual({ kind: 'relative', range: '6h' });
    expect(parse('from=2024-05-01T10:00:00Z&to=2024-05-01T10:00:00Z')).toEqual(DEFAULT_TIME);
    expect(parse('from=2024-05-01&to=2024-05-02', CHART_TIME)).toEqual(CHART_TIME);
  });
});

describe('zoomSpec', () => {
  const t = Date.parse('2024-05-01T12:00:00Z');

  it('turns a drag into a range of whole seconds, either direction', () => {
    expect(zoomSpec(t + 1500, t + 61_200)).toEqual({
      kind: 'absolute',
      start: '2024-05-01T12:00:01.000Z',
      end: '2024-05-01T12:01:02.000Z',
    });
    expect(zoomSpec(t + 61_200, t + 1500)).toEqual(zoomSpec(t + 1500, t + 61_200));
  });

  it('is at least one second long', () => {
    expect(zoomSpec(t, t)).toEqual({ kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:00:01.000Z' });
    expect(zoomSpec(t + 200, t + 300)).toEqual(zoomSpec(t, t));
  });
});

describe('wall-clock times in a zone', () => {
  it('knows zone offsets, with DST', () => {
    expect(zoneOffsetMs('UTC', Date.parse('2024-05-01T12:00:00Z'))).toBe(0);
    expect(zoneOffsetMs('Asia/Kolkata', Date.parse('2024-05-01T12:00:00Z'))).toBe(5.5 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.parse('2024-01-15T12:00:00Z'))).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.parse('2024-07-15T12:00:00Z'))).toBe(-4 * 3_600_000);
  });

  it('reads typed times in the zone', () => {
    expect(wallToUtc('2024-05-01 14:00', 'Europe/Paris')).toBe('2024-05-01T12:00:00.000Z');
    expect(wallToUtc('2024-05-01T14:00:30', 'UTC')).toBe('2024-05-01T14:00:30.000Z');
    expect(wallToUtc('2024-05-01 14:00:30.25', 'UTC')).toBe('2024-05-01T14:00:30.250Z');
    expect(wallToUtc('2024-01-15', 'America/New_York')).toBe('2024-01-15T05:00:00.000Z');
    expect(wallToUtc(' 2024-05-01 00:00 ', 'Asia/Kolkata')).toBe('2024-04-30T18:30:00.000Z');
  });

  it('handles both sides of a DST change', () => {
    // New York: 2024-03-10 02:00 jumps to 03:00; 2024-11-03 02:00 falls back to 01:00.
    expect(wallToUtc('2024-03-10 01:30', 'America/New_York')).toBe('2024-03-10T06:30:00.000Z');
    expect(wallToUtc('2024-03-10 03:30', 'America/New_York')).toBe('2024-03-10T07:30:00.000Z');
    expect(wallToUtc('2024-11-03 03:00', 'America/New_York')).toBe('2024-11-03T08:00:00.000Z');
  });

  it('refuses what is not a time', () => {
    for (const bad of ['', 'now', '2024-04-31 10:00', '2024-13-01', '2024-05-01 24:00', '2024-05-01 10:60', '05/01/2024']) {
      expect(wallToUtc(bad, 'UTC')).toBeNull();
    }
  });

  it('writes what it reads', () => {
    for (const zone of ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata']) {
      const iso = '2024-07-04T09:08:07.000Z';
      expect(wallToUtc(utcToWall(iso, zone), zone)).toBe(iso);
    }
    expect(utcToWall('2024-05-01T12:00:00Z', 'Europe/Paris')).toBe('2024-05-01 14:00:00');
  });
});

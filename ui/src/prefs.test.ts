import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, effectiveTheme, formatInstant, instantMs, isTimeZone, parsePrefs, timeZones } from './prefs';

describe('instantMs', () => {
  it('reads ClickHouse text without a zone as UTC', () => {
    expect(instantMs('2024-05-01 12:00:00.123456789')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
  });
  it('honours an explicit offset', () => {
    expect(instantMs('2024-05-01T14:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 12));
  });
  it('refuses text that is not a time', () => {
    expect(instantMs('yesterday')).toBeNull();
    expect(instantMs({})).toBeNull();
  });
});

describe('formatInstant', () => {
  const at = '2024-05-01 12:00:00.5';
  it('shows UTC on a 24-hour clock', () => {
    expect(formatInstant(at, { ...DEFAULT_PREFS, timeZone: 'UTC' })).toBe('2024-05-01 12:00:00.500');
  });
  it('moves to any IANA zone, across the date line too', () => {
    expect(formatInstant(at, { ...DEFAULT_PREFS, timeZone: 'America/New_York' })).toBe('2024-05-01 08:00:00.500');
    expect(formatInstant('2024-05-01 23:30:00', { ...DEFAULT_PREFS, timeZone: 'Asia/Kolkata' })).toBe(
      '2024-05-02 05:00:00.000',
    );
  });
  it('uses a 12-hour clock with a period when asked', () => {
    const text = formatInstant('2024-05-01 00:05:00', { ...DEFAULT_PREFS, timeZone: 'UTC', hour12: true });
    expect(text).toMatch(/^2024-05-01 12:05:00\.000 (a\.m\.|AM)$/);
  });
  it('can leave out the date and the milliseconds', () => {
    expect(formatInstant(at, { ...DEFAULT_PREFS, timeZone: 'UTC' }, { date: false, ms: false })).toBe('12:00:00');
  });
  it('gives text that is not a time back unchanged', () => {
    expect(formatInstant('<b>not a time</b>', DEFAULT_PREFS)).toBe('<b>not a time</b>');
  });
});

describe('parsePrefs', () => {
  it('falls back to defaults for broken or hostile storage', () => {
    expect(parsePrefs(null)).toEqual(DEFAULT_PREFS);
    expect(parsePrefs('{not json')).toEqual(DEFAULT_PREFS);
    expect(parsePrefs('{"theme":"neon","timeZone":"Mars/Olympus","hour12":"yes"}')).toEqual(DEFAULT_PREFS);
  });
  it('keeps valid values', () => {
    expect(parsePrefs('{"theme":"dark","timeZone":"Europe/Paris","hour12":true}')).toEqual({
      theme: 'dark',
      timeZone: 'Europe/Paris',
      hour12: true,
    });
  });
});

describe('zones and themes', () => {
  it('knows IANA zones', () => {
    expect(isTimeZone('Pacific/Auckland')).toBe(true);
    expect(isTimeZone('Nowhere/Special')).toBe(false);
    expect(timeZones()).toContain('UTC');
    expect(timeZones().length).toBeGreaterThan(300);
  });
  it('follows the system only when asked', () => {
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('light', true)).toBe('light');
  });
});

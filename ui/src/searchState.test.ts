import { describe, expect, it } from 'vitest';
import { EMPTY_SEARCH, parseSearchState, sameSearch, toSearchParams, type SearchState } from './searchState';

const parse = (query: string) => parseSearchState(new URLSearchParams(query));

describe('parseSearchState', () => {
  it('reads source, query and range', () => {
    expect(parse('source=3&q=level%3Aerror+%22x+y%22&range=24h')).toEqual({
      source: 3,
      query: 'level:error "x y"',
      range: '24h',
    });
  });

  it('falls back to defaults for missing or malformed values', () => {
    expect(parse('')).toEqual(EMPTY_SEARCH);
    expect(parse('source=abc&range=2y')).toEqual(EMPTY_SEARCH);
    expect(parse('source=0')).toEqual(EMPTY_SEARCH);
    expect(parse('source=-1')).toEqual(EMPTY_SEARCH);
    expect(parse('source=1.5')).toEqual(EMPTY_SEARCH);
    expect(parse('source=1e3')).toEqual(EMPTY_SEARCH);
    expect(parse('source=99999999999999999999')).toEqual(EMPTY_SEARCH);
  });

  it('keeps the query exactly, spaces and symbols included', () => {
    expect(parse('q=%20a%26b%3D%3C%2Fscript%3E%20').query).toBe(' a&b=</script> ');
  });
});

describe('toSearchParams', () => {
  it('leaves defaults out', () => {
    expect(toSearchParams(EMPTY_SEARCH).toString()).toBe('');
    expect(toSearchParams({ source: 2, query: '', range: '15m' }).toString()).toBe('source=2');
  });

  it('round-trips through the URL', () => {
    const states: SearchState[] = [
      { source: 1, query: 'service:api AND "timed out"', range: '1h' },
      { source: null, query: 'a&b=c #d ?e %f +g', range: '7d' },
      { source: 42, query: 'ünïcödé 日本 🙂', range: '15m' },
    ];
    for (const state of states) {
      const url = new URL(`http://example.test/search?${toSearchParams(state).toString()}`);
      expect(parseSearchState(url.searchParams)).toEqual(state);
    }
  });
});

describe('sameSearch', () => {
  it('compares every field', () => {
    const a: SearchState = { source: 1, query: 'x', range: '1h' };
    expect(sameSearch(a, { ...a })).toBe(true);
    expect(sameSearch(a, { ...a, source: 2 })).toBe(false);
    expect(sameSearch(a, { ...a, query: 'y' })).toBe(false);
    expect(sameSearch(a, { ...a, range: '7d' })).toBe(false);
  });
});

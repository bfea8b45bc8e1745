import { describe, expect, it } from 'vitest';
import {
  EMPTY_SEARCH,
  parseSearchState,
  sameSearch,
  splitSelect,
  toSearchParams,
  type SearchState,
} from './searchState';

const parse = (query: string) => parseSearchState(new URLSearchParams(query));

describe('parseSearchState', () => {
  it('reads source, query and range', () => {
    expect(parse('source=3&q=level%3Aerror+%22x+y%22&range=24h')).toEqual({
      ...EMPTY_SEARCH,
      source: 3,
      query: 'level:error "x y"',
      time: { kind: 'relative', range: '24h' },
    });
  });

  it('reads the language, columns, row, view and saved search', () => {
    const state = parse('lang=sql&col=Timestamp&col=LogAttributes%5B%27a%2Cb%27%5D&row=1.2.3&view=patterns&saved=7');
    expect(state.language).toBe('sql');
    expect(state.columns).toEqual(['Timestamp', "LogAttributes['a,b']"]);
    expect(state.row).toBe('1.2.3');
    expect(state.view).toBe('patterns');
    expect(state.saved).toBe(7);
  });

  it('reads absolute ranges, in either order, normalised to UTC', () => {
    expect(parse('from=2024-05-01T14:00:00%2B02:00&to=2024-05-01T12:30:00Z').time).toEqual({
      kind: 'absolute',
      start: '2024-05-01T12:00:00.000Z',
      end: '2024-05-01T12:30:00.000Z',
    });
  });

  it('falls back to defaults for missing or malformed values', () => {
    expect(parse('')).toEqual(EMPTY_SEARCH);
    for (const bad of [
      'source=abc&range=2y',
      'source=0',
      'source=-1',
      'source=1.5',
      'source=1e3',
      'source=99999999999999999999',
      'lang=SQL',
      'lang=python',
      'view=chart',
      'saved=x',
      'row=',
      `row=${'x'.repeat(201)}`,
      'col=&col=%20',
      'range=0m',
      'range=500d',
      'from=yesterday&to=today',
      'from=2024-05-01T12:00:00Z',
      'to=2024-05-01T12:00:00Z',
      'from=2024-05-01T12:00:00Z&to=2024-05-01T12:00:00Z',
    ]) {
      expect(parse(bad), bad).toEqual(EMPTY_SEARCH);
    }
  });

  it('keeps the relative range when an absolute one is malformed', () => {
    expect(parse('range=1h&from=nope&to=2024-05-01T12:00:00Z').time).toEqual({ kind: 'relative', range: '1h' });
  });

  it('keeps the query exactly, spaces and symbols included', () => {
    expect(parse('q=%20a%26b%3D%3C%2Fscript%3E%20').query).toBe(' a&b=</script> ');
  });

  it('drops duplicate columns and keeps at most 100', () => {
    expect(parse('col=a&col=b&col=a').columns).toEqual(['a', 'b']);
    const many = Array.from({ length: 150 }, (_, i) => `col=c${i}`).join('&');
    expect(parse(many).columns).toHaveLength(100);
  });
});

describe('toSearchParams', () => {
  it('leaves defaults out', () => {
    expect(toSearchParams(EMPTY_SEARCH).toString()).toBe('');
    expect(toSearchParams({ ...EMPTY_SEARCH, source: 2 }).toString()).toBe('source=2');
  });

  it('round-trips through the URL', () => {
    const states: SearchState[] = [
      { ...EMPTY_SEARCH, source: 1, query: 'service:api AND "timed out"', time: { kind: 'relative', range: '1h' } },
      { ...EMPTY_SEARCH, query: 'a&b=c #d ?e %f +g', time: { kind: 'relative', range: '7d' } },
      { ...EMPTY_SEARCH, source: 42, query: 'ünïcödé 日本 🙂' },
      {
        source: 5,
        query: "ServiceName = 'api' AND Duration > 1e9",
        language: 'sql',
        time: { kind: 'absolute', start: '2024-05-01T12:00:00.000Z', end: '2024-05-01T12:30:00.500Z' },
        columns: ['Timestamp', "LogAttributes['http.route']", 'round(Duration / 1e6)', 'a&b=#'],
        row: '1795924405000000000.1795924405338874915.7854327657948660197',
        view: 'patterns',
        saved: 12,
      },
      { ...EMPTY_SEARCH, source: 1, time: { kind: 'relative', range: '45m' }, columns: ['Body'] },
    ];
    for (const state of states) {
      const url = new URL(`http://example.test/search?${toSearchParams(state).toString()}`);
      expect(parseSearchState(url.searchParams)).toEqual(state);
    }
  });
});

describe('sameSearch', () => {
  it('compares every field', () => {
    const a: SearchState = { ...EMPTY_SEARCH, source: 1, query: 'x', time: { kind: 'relative', range: '1h' } };
    expect(sameSearch(a, { ...a })).toBe(true);
    expect(sameSearch(a, { ...a, source: 2 })).toBe(false);
    expect(sameSearch(a, { ...a, query: 'y' })).toBe(false);
    expect(sameSearch(a, { ...a, time: { kind: 'relative', range: '7d' } })).toBe(false);
    expect(sameSearch(a, { ...a, language: 'sql' })).toBe(false);
    expect(sameSearch(a, { ...a, columns: ['Body'] })).toBe(false);
  });
});

describe('splitSelect', () => {
  it('splits at top-level commas only', () => {
    expect(splitSelect('Timestamp, ServiceName, StatusCode, round(Duration / 1e6), SpanName')).toEqual([
      'Timestamp',
      'ServiceName',
      'StatusCode',
      'round(Duration / 1e6)',
      'SpanName',
    ]);
    expect(splitSelect("LogAttributes['a,b'], concat(a, ',', b),Body")).toEqual([
      "LogAttributes['a,b']",
      "concat(a, ',', b)",
      'Body',
    ]);
    expect(splitSelect("x['it\\'s, ok'], y")).toEqual(["x['it\\'s, ok']", 'y']);
    expect(splitSelect(' , ,')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { applyCompletion, completionToken, fieldCandidates, suggest } from './completion';

const at = (text: string, language: 'lucene' | 'sql' = 'lucene') => {
  // The caret is where `|` is.
  const caret = text.indexOf('|');
  return completionToken(text.replace('|', ''), caret, language);
};

describe('completionToken', () => {
  it('finds the word being typed', () => {
    expect(at('serv|')).toEqual({ start: 0, end: 4, prefix: 'serv' });
    expect(at('level:error http.sta|')).toEqual({ start: 12, end: 20, prefix: 'http.sta' });
    expect(at('(a OR serv|)')).toEqual({ start: 6, end: 10, prefix: 'serv' });
  });

  it('includes the rest of a word the caret is in', () => {
    expect(at('ser|vice')).toEqual({ start: 0, end: 7, prefix: 'ser' });
  });

  it('leaves out a NOT dash', () => {
    expect(at('-serv|')).toEqual({ start: 1, end: 5, prefix: 'serv' });
    expect(at('a -http.r|')).toEqual({ start: 3, end: 9, prefix: 'http.r' });
  });

  it('is nothing in values, quotes, keywords, numbers or empty words', () => {
    expect(at('service:ap|')).toBeNull();
    expect(at('"timed ou|')).toBeNull();
    expect(at('body:"a \\" b|')).toBeNull();
    expect(at('a AND|')).toBeNull();
    expect(at('x:[1 TO|')).toBeNull();
    expect(at('500|')).toBeNull();
    expect(at('a |')).toBeNull();
    expect(at('|')).toBeNull();
    expect(at('-|')).toBeNull();
    expect(at('serv|:x')).toBeNull();
  });

  it('works in SQL mode', () => {
    expect(at("ServiceName = 'api' AND Sev|", 'sql')).toEqual({ start: 24, end: 27, prefix: 'Sev' });
    expect(at("ServiceName = 'ap|", 'sql')).toBeNull();
    expect(at('a-b|', 'sql')).toEqual({ start: 2, end: 3, prefix: 'b' });
  });

  it('refuses a caret outside the text', () => {
    expect(completionToken('abc', 4, 'lucene')).toBeNull();
    expect(completionToken('abc', -1, 'lucene')).toBeNull();
  });
});

describe('suggest', () => {
  const candidates = ['service', 'service.name', 'ServiceName', 'http.service', 'level'].map((label) => ({
    label,
    detail: 'x',
  }));

  it('puts prefix matches first, then substring matches, any case', () => {
    expect(suggest('serv', candidates).map((c) => c.label)).toEqual([
      'service',
      'service.name',
      'ServiceName',
      'http.service',
    ]);
  });

  it('skips an exact match, an empty prefix, and keeps to the limit', () => {
    expect(suggest('level', candidates)).toEqual([]);
    expect(suggest('', candidates)).toEqual([]);
    expect(suggest('e', candidates, 2)).toHaveLength(2);
  });
});

describe('applyCompletion', () => {
  it('replaces the word and adds a colon (Lucene) or a space (SQL)', () => {
    const text = 'level:error -serv';
    const token = completionToken(text, text.length, 'lucene');
    expect(token).not.toBeNull();
    expect(applyCompletion(text, token!, 'service', 'lucene')).toEqual({ text: 'level:error -service:', caret: 21 });
    const sql = "Sev = 'x'";
    const sqlToken = completionToken(sql, 3, 'sql')!;
    expect(applyCompletion(sql, sqlToken, 'SeverityText', 'sql')).toEqual({ text: "SeverityText  = 'x'", caret: 13 });
  });
});

describe('fieldCandidates', () => {
  const columns = { service: 'ServiceName', severity: 'SeverityText', body: 'Body', duration: null, timestamp: 'TimestampTime' };
  const keys = [
    { key: 'http.route', map: 'LogAttributes' },
    { key: "it's", map: 'LogAttributes' },
  ];

  it('offers aliases, columns and keys for Lucene', () => {
    const labels = fieldCandidates(columns, keys, 'lucene').map((c) => c.label);
    expect(labels).toEqual(['level', 'service', 'body', 'TimestampTime', 'ServiceName', 'SeverityText', 'Body', 'http.route']);
  });

  it('offers columns and map lookups for SQL', () => {
    const labels = fieldCandidates(columns, keys, 'sql').map((c) => c.label);
    expect(labels).toContain("LogAttributes['http.route']");
    expect(labels).toContain("LogAttributes['it\\'s']");
    expect(labels).not.toContain('level');
  });
});

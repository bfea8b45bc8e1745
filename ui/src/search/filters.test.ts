import { describe, expect, it } from 'vitest';
import { addFilter, escapeLuceneField, quoteLucene, quoteSql, rowField, sqlCondition, mapColumn } from './filters';

const logs = {
  columns: {
    service: 'ServiceName',
    severity: 'SeverityText',
    trace_id: 'TraceId',
    event_attributes: 'LogAttributes',
    resource_attributes: 'ResourceAttributes',
  },
};

describe('quoting', () => {
  it('escapes quotes and backslashes', () => {
    expect(quoteLucene('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteSql("it's \\ ok")).toBe("'it\\'s \\\\ ok'");
  });

  it('escapes field names the parser would split', () => {
    expect(escapeLuceneField('http.status_code')).toBe('http.status_code');
    expect(escapeLuceneField('a key:x')).toBe('a\\ key\\:x');
    expect(escapeLuceneField('-lead')).toBe('\\-lead');
    expect(escapeLuceneField('mid-dash/slash')).toBe('mid-dash/slash');
    expect(escapeLuceneField('w*(x)')).toBe('w\\*\\(x\\)');
  });
});

describe('addFilter in the search language', () => {
  it('adds a term to an empty or a plain search', () => {
    expect(addFilter('', 'lucene', 'service', 'api', false)).toBe('service:"api"');
    expect(addFilter('  timeout ', 'lucene', 'service', 'api', true)).toBe('timeout -service:"api"');
  });

  it('does not add the same term twice', () => {
    expect(addFilter('service:"api"', 'lucene', 'service', 'api', false)).toBe('service:"api"');
    expect(addFilter('x -service:"api"', 'lucene', 'service', 'api', true)).toBe('x -service:"api"');
  });

  it('replaces a term with its negation and back', () => {
    expect(addFilter('x service:"api" y', 'lucene', 'service', 'api', true)).toBe('x -service:"api" y');
    expect(addFilter('x -service:"api" y', 'lucene', 'service', 'api', false)).toBe('x service:"api" y');
    expect(addFilter('(NOT service:"api")', 'lucene', 'service', 'api', false)).toBe('(service:"api")');
  });

  it('only matches whole terms', () => {
    expect(addFilter('myservice:"api"', 'lucene', 'service', 'api', true)).toBe('myservice:"api" -service:"api"');
    expect(addFilter('service:"api2"', 'lucene', 'service', 'api', false)).toBe('service:"api2" service:"api"');
  });

  it('keeps a search with OR whole', () => {
    expect(addFilter('a OR b', 'lucene', 'level', 'error', false)).toBe('(a OR b) level:"error"');
    expect(addFilter('vendor', 'lucene', 'level', 'error', false)).toBe('vendor level:"error"');
  });

  it('escapes map keys and values', () => {
    expect(addFilter('', 'lucene', 'LogAttributes.user id', 'a"b', false)).toBe('LogAttributes.user\\ id:"a\\"b"');
  });
});

describe('addFilter in SQL', () => {
  it('maps aliases to the source columns', () => {
    expect(addFilter('', 'sql', 'service', 'api', false, logs)).toBe("ServiceName = 'api'");
    expect(addFilter("Body != ''", 'sql', 'level', 'error', true, logs)).toBe("Body != '' AND SeverityText != 'error'");
    expect(addFilter('', 'sql', 'severity', 'Error', false, { columns: { severity: 'StatusCode' } })).toBe(
      "StatusCode = 'Error'",
    );
  });

  it('writes map paths and attributes named alone', () => {
    expect(sqlCondition('LogAttributes.http.route', '/a', false, logs)).toBe("LogAttributes['http.route'] = '/a'");
    expect(sqlCondition('http.route', '/a', false, logs)).toBe(
      "(LogAttributes['http.route'] = '/a' OR ResourceAttributes['http.route'] = '/a')",
    );
    expect(sqlCondition('http.route', '/a', true, logs)).toBe(
      "NOT (LogAttributes['http.route'] = '/a' OR ResourceAttributes['http.route'] = '/a')",
    );
    expect(sqlCondition('odd name', 'v', false, logs)).toBe("`odd name` = 'v'");
  });

  it('replaces the opposite condition and wraps OR', () => {
    expect(addFilter("ServiceName = 'api'", 'sql', 'service', 'api', true, logs)).toBe("ServiceName != 'api'");
    expect(addFilter("a = 1 OR b = 2", 'sql', 'service', 'api', false, logs)).toBe("(a = 1 OR b = 2) AND ServiceName = 'api'");
    const excluded = addFilter('', 'sql', 'http.route', '/a', true, logs);
    expect(addFilter(excluded, 'sql', 'http.route', '/a', false, logs)).toBe(
      "(LogAttributes['http.route'] = '/a' OR ResourceAttributes['http.route'] = '/a')",
    );
  });
});

describe('rowField', () => {
  it('uses the alias of a role column, map paths for attributes', () => {
    expect(rowField(logs, 'ServiceName')).toBe('service');
    expect(rowField(logs, 'SeverityText')).toBe('severity');
    expect(rowField(logs, 'ScopeName')).toBe('ScopeName');
    expect(rowField(logs, 'LogAttributes', 'http.route')).toBe('LogAttributes.http.route');
    expect(rowField({ columns: { service: 'svc' } }, 'ServiceName')).toBe('ServiceName');
  });
});

describe('patternSearch', async () => {
  const { patternParts, patternSearch } = await import('./filters');
  it('searches the fixed parts of a pattern', () => {
    expect(patternParts('request <*> took <*> ms')).toEqual(['request', 'took', 'ms']);
    expect(patternParts('<*> : <*>')).toEqual([]);
    expect(patternSearch('level:error', 'lucene', 'user "x" logged in from <*>')).toBe('level:error "user \\"x\\" logged in from"');
    expect(patternSearch('a OR b', 'lucene', 'x <*>')).toBe('(a OR b) "x"');
    expect(patternSearch('', 'lucene', '<*>')).toBeNull();
    expect(patternSearch('', 'sql', "it's <*> ok", logs)).toBe(
      "positionCaseInsensitive(Body, 'it\\'s') > 0 AND positionCaseInsensitive(Body, 'ok') > 0",
    );
  });
});

describe('mapColumn', () => {
  it('selects one key of a map, quoting what would end the literal', () => {
    expect(mapColumn('LogAttributes', 'http.route')).toBe("LogAttributes['http.route']");
    expect(mapColumn('LogAttributes', "it's\\odd")).toBe("LogAttributes['it\\'s\\\\odd']");
  });
});

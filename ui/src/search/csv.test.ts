import { describe, expect, it } from 'vitest';
import { csvCell, csvFileName, toCsv } from './csv';

describe('csvCell', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('hello world')).toBe('hello world');
    expect(csvCell('')).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('line1\r\nline2')).toBe('"line1\r\nline2"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('+1+1')).toBe("'+1+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('a=1')).toBe('a=1');
  });

  it('writes numbers and booleans as they are, negative ones too', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(true)).toBe('true');
  });

  it('writes objects and arrays as JSON', () => {
    expect(csvCell({ a: 1, b: 'x,y' })).toBe('"{""a"":1,""b"":""x,y""}"');
    expect(csvCell(['a', 'b'])).toBe('"[""a"",""b""]"');
    expect(csvCell({})).toBe('');
  });
});

describe('toCsv', () => {
  it('writes a header and rows with CRLF line ends', () => {
    const csv = toCsv(['Timestamp', 'Body'], [
      ['2024-05-01T12:00:00Z', 'ok'],
      ['2024-05-01T12:00:01Z', 'a, "b"\nc'],
    ]);
    expect(csv).toBe('Timestamp,Body\r\n2024-05-01T12:00:00Z,ok\r\n2024-05-01T12:00:01Z,"a, ""b""\nc"\r\n');
  });

  it('fills missing cells and defuses formula headers', () => {
    expect(toCsv(['=a', 'b'], [['x']])).toBe("'=a,b\r\nx,\r\n");
  });
});

describe('csvFileName', () => {
  it('is safe and dated in UTC', () => {
    expect(csvFileName('My Logs / prod', new Date('2024-05-01T12:34:56.789Z'))).toBe(
      'otelhouse-my-logs-prod-20240501-123456.csv',
    );
    expect(csvFileName('日本', new Date('2024-05-01T12:34:56Z'))).toBe('otelhouse-search-20240501-123456.csv');
  });
});

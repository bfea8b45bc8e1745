import { describe, expect, it } from 'vitest';
import { exportLines, defaultEndpoints } from './endpoints';
import { formatCell, formatTimestamp, isTimeType, shellQuote } from './format';

describe('formatCell', () => {
  it('turns values into text', () => {
    expect(formatCell(null)).toBe('');
    expect(formatCell(undefined)).toBe('');
    expect(formatCell('<b>x</b>')).toBe('<b>x</b>');
    expect(formatCell(12.5)).toBe('12.5');
    expect(formatCell(false)).toBe('false');
    expect(formatCell([])).toBe('');
    expect(formatCell({})).toBe('');
    expect(formatCell({ a: 1, b: ['x'] })).toBe('{"a":1,"b":["x"]}');
  });
});

describe('formatTimestamp', () => {
  it('shortens ClickHouse and ISO times to milliseconds', () => {
    expect(formatTimestamp('2024-05-01 12:00:00.123456789')).toBe('2024-05-01 12:00:00.123');
    expect(formatTimestamp('2024-05-01T12:00:00.5Z')).toBe('2024-05-01 12:00:00.5');
    expect(formatTimestamp('2024-05-01T12:00:00+02:00')).toBe('2024-05-01 12:00:00');
  });

  it('leaves anything else alone', () => {
    expect(formatTimestamp('yesterday')).toBe('yesterday');
    expect(formatTimestamp(17)).toBe('17');
  });
});

describe('isTimeType', () => {
  it('knows ClickHouse time types', () => {
    expect(isTimeType("DateTime64(9, 'UTC')")).toBe(true);
    expect(isTimeType('DateTime')).toBe(true);
    expect(isTimeType('Nullable(DateTime64(3))')).toBe(true);
    expect(isTimeType('String')).toBe(false);
    expect(isTimeType('Date')).toBe(false);
  });
});

describe('shell snippets', () => {
  it('quotes only when needed', () => {
    expect(shellQuote('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318');
    expect(shellQuote('authorization=ohk_abc-123')).toBe('authorization=ohk_abc-123');
    expect(shellQuote('<your key>')).toBe("'<your key>'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('gives the two export lines', () => {
    expect(exportLines('http://h:4318', 'k1', shellQuote)).toBe(
      'export OTEL_EXPORTER_OTLP_ENDPOINT=http://h:4318\nexport OTEL_EXPORTER_OTLP_HEADERS=authorization=k1',
    );
  });

  it('derives endpoints from the page host', () => {
    expect(defaultEndpoints({ protocol: 'http:', hostname: 'otel.local' })).toEqual({
      http: 'http://otel.local:4318',
      grpc: 'http://otel.local:4317',
    });
    expect(defaultEndpoints({ protocol: 'https:', hostname: '::1' }).http).toBe('https://[::1]:4318');
  });

  it("uses the server's ports once known", () => {
    const ports = { otlp_http_port: 14318, otlp_grpc_port: 14317 };
    expect(defaultEndpoints({ protocol: 'http:', hostname: 'h' }, ports)).toEqual({
      http: 'http://h:14318',
      grpc: 'http://h:14317',
    });
  });
});

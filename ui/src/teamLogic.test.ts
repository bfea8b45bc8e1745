import { describe, expect, it } from 'vitest';
import {
  canDo,
  columnsToForm,
  durationSeconds,
  durationText,
  durationWords,
  expiryFrom,
  invitationStatus,
  joinLink,
  problemField,
  retentionChange,
  retentionForm,
  sourceBody,
  type SourceForm,
} from './teamLogic';

describe('durations', () => {
  it('reads text as seconds', () => {
    expect(durationSeconds('30d')).toBe(2_592_000);
    expect(durationSeconds(' 1h30m ')).toBe(5400);
    expect(durationSeconds('2w')).toBe(1_209_600);
    expect(durationSeconds('90')).toBe(90);
    expect(durationSeconds('')).toBeNull();
    expect(durationSeconds('3 days')).toBeNull();
    expect(durationSeconds('-5m')).toBeNull();
  });
  it('writes seconds as the shortest exact text', () => {
    expect(durationText(2_592_000)).toBe('30d');
    expect(durationText(5400)).toBe('90m');
    expect(durationText(3600)).toBe('1h');
    expect(durationText(61)).toBe('61s');
    expect(durationText(0)).toBe('0s');
    for (const text of ['7d', '12h', '15m', '45s']) expect(durationText(durationSeconds(text) ?? 0)).toBe(text);
  });
  it('writes seconds in words', () => {
    expect(durationWords(2_592_000)).toBe('30 days');
    expect(durationWords(86_400)).toBe('1 day');
    expect(durationWords(7200)).toBe('2 hours');
    expect(durationWords(90)).toBe('90 seconds');
  });
});

describe('invitations', () => {
  it('builds the join link under the app base', () => {
    expect(joinLink('https://h/otel/', 'abc_-1')).toBe('https://h/otel/join/abc_-1');
    expect(joinLink('http://127.0.0.1:8080/', 'a/b')).toBe('http://127.0.0.1:8080/join/a%2Fb');
    expect(joinLink('https://h/otel', 'x')).toBe('https://h/otel/join/x');
  });
  it('tells the status', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const base = { expires_at: '2024-05-02T00:00:00Z', used_at: null, revoked_at: null };
    expect(invitationStatus(base, now)).toBe('pending');
    expect(invitationStatus({ ...base, expires_at: '2024-05-01T11:00:00Z' }, now)).toBe('expired');
    expect(invitationStatus({ ...base, used_at: '2024-05-01T10:00:00Z' }, now)).toBe('used');
    expect(invitationStatus({ ...base, revoked_at: '2024-05-01T10:00:00Z' }, now)).toBe('revoked');
  });
});

describe('roles and expiry', () => {
  it('ranks roles', () => {
    expect(canDo('admin', 'member')).toBe(true);
    expect(canDo('member', 'member')).toBe(true);
    expect(canDo('viewer', 'member')).toBe(false);
    expect(canDo('stranger', 'viewer')).toBe(false);
  });
  it('turns an expiry choice into a UTC time', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(expiryFrom('never', now)).toBeNull();
    expect(expiryFrom('30d', now)).toBe('2024-05-31T12:00:00.000Z');
    expect(expiryFrom('custom', now, '2024-06-15')).toBe('2024-06-15T23:59:59.000Z');
    expect(expiryFrom('custom', now, '')).toBeNull();
  });
});

describe('source forms', () => {
  const form: SourceForm = {
    name: ' App logs ',
    kind: 'log',
    connection_id: '3',
    database: 'otel',
    table: 'app_logs',
    columns: { timestamp: 'TimestampTime', body: 'Body', severity: '', span_name: 'ignored for logs' },
  };
  it('builds the body with only the kind’s expressions', () => {
    expect(sourceBody(form)).toEqual({
      body: {
        name: 'App logs',
        kind: 'log',
        connection_id: 3,
        database: 'otel',
        table: 'app_logs',
        columns: { timestamp: 'TimestampTime', body: 'Body' },
      },
    });
  });
  it('names what is missing as the server would', () => {
    const result = sourceBody({ ...form, kind: 'trace', table: '' });
    expect(result).toHaveProperty('problems');
    const problems = 'problems' in result ? result.problems : {};
    expect(Object.keys(problems).sort()).toEqual(
      ['columns.duration', 'columns.span_id', 'columns.trace_id', 'table'].sort(),
    );
  });
  it('round-trips metric tables and precision', () => {
    const stored = { timestamp: 'TimeUnix', metric_tables: { gauge: 'g', sum: null }, duration_precision: 9 };
    const text = columnsToForm(stored);
    expect(text).toEqual({ timestamp: 'TimeUnix', 'metric_tables.gauge': 'g', duration_precision: '9' });
    const metric = sourceBody({ ...form, kind: 'metric', columns: text });
    expect('body' in metric && metric.body.columns).toEqual({ timestamp: 'TimeUnix', metric_tables: { gauge: 'g' } });
    const bad = sourceBody({ ...form, kind: 'trace', columns: { duration_precision: '12' } });
    expect('problems' in bad && bad.problems['columns.duration_precision']).toBeTruthy();
  });
  it('maps server fields to form fields', () => {
    expect(problemField('columns.metric_tables.sum')).toBe('columns.metric_tables');
    expect(problemField('columns.body')).toBe('columns.body');
    expect(problemField('name')).toBe('name');
    expect(problemField(undefined)).toBe('form');
  });
});

describe('presets', () => {
  it('give every kind what it needs', async () => {
    const { CLICKSTACK_PRESETS } = await import('./teamLogic');
    for (const kind of ['log', 'trace', 'metric', 'session'] as const) {
      const preset = CLICKSTACK_PRESETS[kind];
      const result = sourceBody({ name: 'x', kind, connection_id: '1', database: 'otel', table: preset.table, columns: preset.columns });
      expect(result, kind).toHaveProperty('body');
    }
  });
});

describe('retention', () => {
  const tables = [
    { table: 'otel_logs', seconds: 2_592_000 },
    { table: 'otel_traces', seconds: 1_209_600 },
    { table: 'otel_metrics_sum', seconds: 86_400 },
    { table: 'otel_metrics_gauge', seconds: 7_776_000 },
    { table: 'hyperdx_sessions', seconds: null },
  ];
  it('reads each signal from its own table', () => {
    expect(retentionForm(tables)).toEqual({ logs: '30d', traces: '14d', metrics: '90d', sessions: '' });
  });
  it('sends only what changed, normalised', () => {
    const before = retentionForm(tables);
    expect(retentionChange(before, { ...before, logs: ' 2w ', traces: '14d' })).toEqual({ body: { logs: '14d' } });
    expect(retentionChange(before, before)).toEqual({ body: {} });
  });
  it('names the field that is not a duration', () => {
    const before = retentionForm(tables);
    expect(retentionChange(before, { ...before, metrics: 'forever', sessions: '0' })).toEqual({
      problems: { metrics: 'a duration such as 30d, 12h or 2w', sessions: 'a duration such as 30d, 12h or 2w' },
    });
  });
});

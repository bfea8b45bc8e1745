import { describe, expect, it } from 'vitest';
import type { Alert } from './alertsApi';
import {
  alertBody,
  alertProblemField,
  alertToForm,
  emptyAlertForm,
  isSilenced,
  parseHeaders,
  parseRecipients,
  prefillAlert,
  silenceUntil,
  thresholdText,
  webhookBody,
  withKind,
  emptyWebhookForm,
} from './alertForm';

const stored: Alert = {
  id: 7,
  name: 'Errors',
  enabled: true,
  kind: 'search',
  saved_search_id: 3,
  dashboard_id: null,
  tile_id: null,
  source_id: null,
  query: null,
  language: 'lucene',
  series: null,
  threshold_type: 'above',
  threshold: 10,
  range: null,
  interval: '5m',
  group_by: ['ServiceName'],
  windows: 2,
  channels: [1, 4],
  message: null,
  silenced_until: null,
  created_by: 1,
  created_at: '2024-05-01T00:00:00Z',
  updated_at: '2024-05-01T00:00:00Z',
  status: {
    state: 'unknown',
    silenced: false,
    last_value: null,
    last_window_end: null,
    last_evaluated_at: null,
    last_error: null,
    groups_firing: 0,
    groups: [],
  },
};

describe('alert form', () => {
  it('round-trips a stored alert', () => {
    const result = alertBody(alertToForm(stored));
    expect(result).toEqual({
      body: {
        name: 'Errors',
        enabled: true,
        kind: 'search',
        saved_search_id: 3,
        dashboard_id: null,
        tile_id: null,
        source_id: null,
        query: null,
        language: 'lucene',
        series: null,
        threshold_type: 'above',
        threshold: 10,
        range: null,
        interval: '5m',
        group_by: ['ServiceName'],
        windows: 2,
        channels: [1, 4],
        message: null,
        silenced_until: null,
      },
    });
  });

  it('builds an inline search and a chart series', () => {
    const inline = alertBody({ ...emptyAlertForm(), name: 'x', target: 'inline', source_id: '2', query: 'level:error', threshold: '0' });
    expect('body' in inline && [inline.body.source_id, inline.body.query, inline.body.threshold]).toEqual([2, 'level:error', 0]);
    const chart = withKind({ ...emptyAlertForm(), name: 'lat', threshold_type: 'equal' }, 'chart');
    expect(chart.threshold_type).toBe('above');
    const series = alertBody({
      ...chart,
      target: 'series',
      source_id: '5',
      aggregation: 'p95',
      field: 'Duration',
      threshold_type: 'outside_range',
      low: '1',
      high: '5',
    });
    expect('body' in series && series.body.series).toEqual({ aggregation: 'p95', field: 'Duration', where: '', where_language: 'lucene' });
    expect('body' in series && [series.body.threshold, series.body.range]).toEqual([null, { low: 1, high: 5 }]);
    const tile = alertBody({ ...chart, target: 'tile', dashboard_id: '9', tile_id: 't1', threshold: '3' });
    expect('body' in tile && [tile.body.dashboard_id, tile.body.tile_id, tile.body.source_id]).toEqual([9, 't1', null]);
  });

  it('names the fields to fix', () => {
    const empty = alertBody(emptyAlertForm());
    expect('problems' in empty && Object.keys(empty.problems).sort()).toEqual(['name', 'saved_search_id', 'threshold']);
    const range = alertBody({ ...withKind(emptyAlertForm(), 'chart'), name: 'r', target: 'series', source_id: '1', aggregation: 'avg', threshold_type: 'inside_range', low: '5', high: '1', windows: '0' });
    expect('problems' in range && Object.keys(range.problems).sort()).toEqual(['range.high', 'series.field', 'windows']);
    expect(alertProblemField('channels.0')).toBe('channels');
    expect(alertProblemField('series.field')).toBe('series.field');
    expect(alertProblemField('range.high')).toBe('range.high');
  });

  it('describes thresholds and silences', () => {
    expect(thresholdText(stored)).toBe('> 10');
    expect(thresholdText({ threshold_type: 'outside_range', threshold: null, range: { low: 1, high: 2 } })).toBe('outside 1…2');
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(silenceUntil('4h', now)).toBe('2024-05-01T16:00:00.000Z');
    expect(isSilenced({ silenced_until: '2024-05-01T16:00:00Z' }, now)).toBe(true);
    expect(isSilenced({ silenced_until: '2024-05-01T11:00:00Z' }, now)).toBe(false);
    expect(isSilenced({ silenced_until: null }, now)).toBe(false);
  });
});

describe('webhook form', () => {
  it('parses header lines', () => {
    expect(parseHeaders('Authorization: Bearer a:b\n\nX-Team:  ops ')).toEqual({ headers: { Authorization: 'Bearer a:b', 'X-Team': 'ops' } });
    expect(parseHeaders('no colon here')).toEqual({ problem: 'Line 1: write a header as "Name: value".' });
    expect(parseHeaders('A: 1\na: 2')).toEqual({ problem: 'Line 2: a is given twice.' });
  });
  it('keeps write-only headers when editing without new ones', () => {
    const form = { ...emptyWebhookForm(), name: 'ops', url: 'https://example.com/hook' };
    expect(webhookBody(form, false)).toEqual({ body: { name: 'ops', kind: 'generic', url: 'https://example.com/hook', method: 'POST', body_template: null, headers: {} } });
    expect(webhookBody(form, true)).toEqual({ body: { name: 'ops', kind: 'generic', url: 'https://example.com/hook', method: 'POST', body_template: null } });
    expect(webhookBody({ ...form, clearHeaders: true }, true)).toHaveProperty('body.headers', {});
  });
  it('sends no method or template for Slack and checks its URL', () => {
    const slack = { ...emptyWebhookForm(), name: 's', kind: 'slack' as const, url: 'https://hooks.slack.com/services/T/B/x' };
    expect(webhookBody(slack, false)).toEqual({ body: { name: 's', kind: 'slack', url: slack.url, headers: {} } });
    expect(webhookBody({ ...slack, url: 'https://evil.example/' }, false)).toHaveProperty('problems.url');
  });
});

describe('email channels', () => {
  it('takes addresses one a line or separated by commas, once each', () => {
    expect(parseRecipients('ops@example.com\n oncall@example.org, ops@example.com;x.y+z@sub.example.co')).toEqual({
      recipients: ['ops@example.com', 'oncall@example.org', 'x.y+z@sub.example.co'],
    });
  });
  it('names the first address that is not one', () => {
    expect(parseRecipients('')).toHaveProperty('problem');
    expect(parseRecipients('ops@example.com\nnot-an-address')).toEqual({
      problem: '“not-an-address” is not an email address like ops@example.com.',
    });
    expect(parseRecipients('Ops <ops@example.com>')).toHaveProperty('problem');
    expect(parseRecipients('ops@localhost')).toHaveProperty('problem');
    expect(parseRecipients(Array.from({ length: 21 }, (_, i) => `a${i}@example.com`).join('\n'))).toEqual({
      problem: 'At most 20 addresses.',
    });
  });
  it('sends only the recipients for an email channel', () => {
    const form = { ...emptyWebhookForm(), name: 'oncall', kind: 'email' as const, url: 'left over', headers: 'A: b', recipients: 'ops@example.com' };
    expect(webhookBody(form, false)).toEqual({ body: { name: 'oncall', kind: 'email', recipients: ['ops@example.com'] } });
    expect(webhookBody({ ...form, recipients: 'nope' }, true)).toHaveProperty('problems.recipients');
  });
});

describe('prefill from the address', () => {
  const lookups = {
    sources: [{ id: 2, name: 'Logs', kind: 'log' }],
    dashboards: [
      {
        id: 9,
        name: 'Checkout',
        tiles: [
          { id: 't1', title: 'Errors per minute', chart: { display: 'line', source_id: 2 } },
          { id: 'md', title: 'Notes', chart: { display: 'markdown', source_id: null } },
        ],
      },
    ],
  };
  it('makes a search alert on the query of a search', () => {
    const { form, note } = prefillAlert(new URLSearchParams('source=2&q=SeverityText%3AERROR&lang=sql'), lookups);
    expect([form.kind, form.target, form.source_id, form.query, form.language, form.name]).toEqual([
      'search',
      'inline',
      '2',
      'SeverityText:ERROR',
      'sql',
      'Logs: SeverityText:ERROR',
    ]);
    expect(note).toContain('Logs');
    const unknown = prefillAlert(new URLSearchParams('source=77&q=x&lang=bogus'), lookups);
    expect([unknown.form.target, unknown.form.source_id, unknown.form.language]).toEqual(['inline', '', 'lucene']);
    expect(unknown.note).toContain('not found');
  });
  it('makes a chart alert on a dashboard tile', () => {
    const { form, note } = prefillAlert(new URLSearchParams('dashboard=9&tile=t1'), lookups);
    expect([form.kind, form.target, form.dashboard_id, form.tile_id, form.name]).toEqual([
      'chart',
      'tile',
      '9',
      't1',
      'Errors per minute on Checkout',
    ]);
    expect(note).toContain('Errors per minute');
    const text = prefillAlert(new URLSearchParams('dashboard=9&tile=md'), lookups);
    expect([text.form.dashboard_id, text.form.tile_id]).toEqual(['9', '']);
    const gone = prefillAlert(new URLSearchParams('dashboard=1&tile=t1'), lookups);
    expect([gone.form.kind, gone.form.target, gone.form.dashboard_id]).toEqual(['chart', 'tile', '']);
  });
  it('gives the empty form without parameters', () => {
    expect(prefillAlert(new URLSearchParams(''), lookups)).toEqual({ form: emptyAlertForm(), note: null });
    const long = prefillAlert(new URLSearchParams({ source: '2', q: 'x'.repeat(300) }), lookups);
    expect(long.form.name.length).toBe(200);
  });
});

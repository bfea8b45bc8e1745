import { describe, expect, it } from 'vitest';
import type { AlertStatus, HistoryEntry } from '../alertsApi';
import { watchLink } from './lookups';
import {
  groupLabel,
  groupsText,
  historyChart,
  mergeHistory,
  notificationText,
  sortAlerts,
  stateBadges,
  testOutcomeText,
  thresholdOf,
  valueText,
} from './status';

const status = (change: Partial<AlertStatus> = {}): AlertStatus => ({
  state: 'ok',
  silenced: false,
  last_value: 0,
  last_window_end: null,
  last_evaluated_at: null,
  last_error: null,
  groups_firing: 0,
  groups: [],
  ...change,
});

const group = (label: string, state: 'ok' | 'alert', breaches: number) => ({
  key: [label],
  label,
  state,
  value: 1,
  breaches,
  since: null,
  last_window_end: null,
});

function entry(id: number, minute: number, group: string[], value: number | null, change: Partial<HistoryEntry> = {}): HistoryEntry {
  const start = new Date(Date.UTC(2024, 4, 1, 12, minute)).toISOString();
  const end = new Date(Date.UTC(2024, 4, 1, 12, minute + 1)).toISOString();
  return {
    id,
    window_start: start,
    window_end: end,
    group,
    value,
    state: 'ok',
    breached: false,
    evaluated_at: end,
    query_ms: 3,
    notification: 'none',
    notification_error: null,
    error: null,
    ...change,
  };
}

describe('state badges', () => {
  it('says the state, then silenced and disabled', () => {
    expect(stateBadges({ enabled: true, windows: 1, status: status({ state: 'alert', silenced: true }) }).map((b) => b.label)).toEqual([
      'ALERT',
      'silenced',
    ]);
    expect(stateBadges({ enabled: false, windows: 1, status: status({ state: 'unknown' }) }).map((b) => b.label)).toEqual([
      'not evaluated yet',
      'disabled',
    ]);
    expect(stateBadges({ enabled: true, windows: 1, status: status() })[0]).toMatchObject({ label: 'OK', tone: 'ok' });
  });
  it('counts a pending alert towards firing', () => {
    const pending = status({ state: 'pending', groups: [group('a', 'ok', 2), group('b', 'ok', 1)] });
    expect(stateBadges({ enabled: true, windows: 3, status: pending })[0]?.label).toBe('Pending 2/3');
    expect(stateBadges({ enabled: true, windows: 1, status: status({ state: 'pending' }) })[0]?.label).toBe('Pending');
  });
});

describe('the list', () => {
  it('puts firing alerts first, then pending, failing, OK, not evaluated, disabled', () => {
    const alerts = [
      { name: 'b-ok', enabled: true, status: status() },
      { name: 'new', enabled: true, status: status({ state: 'unknown' }) },
      { name: 'off', enabled: false, status: status({ state: 'alert' }) },
      { name: 'failing', enabled: true, status: status({ last_error: 'boom' }) },
      { name: 'a-ok', enabled: true, status: status() },
      { name: 'pending', enabled: true, status: status({ state: 'pending' }) },
      { name: 'firing', enabled: true, status: status({ state: 'alert' }) },
    ];
    expect(sortAlerts(alerts).map((a) => a.name)).toEqual(['firing', 'pending', 'failing', 'a-ok', 'b-ok', 'new', 'off']);
  });
  it('writes values and groups', () => {
    expect(valueText(null)).toBe('—');
    expect(valueText(7)).toBe('7');
    expect(groupsText({ group_by: [], status: status() })).toBeNull();
    expect(groupsText({ group_by: ['ServiceName'], status: status() })).toBe('no groups yet');
    expect(
      groupsText({ group_by: ['ServiceName'], status: status({ groups_firing: 1, groups: [group('a', 'alert', 1), group('b', 'ok', 0)] }) }),
    ).toBe('1 of 2 groups firing');
    expect(groupLabel([])).toBe('value');
    expect(groupLabel(['payments', ''])).toBe('payments, (empty)');
  });
});

describe('history chart', () => {
  it('makes one series per group on shared window starts, oldest first', () => {
    const items = [
      entry(6, 2, ['payments'], 7, { breached: true, state: 'alert' }),
      entry(5, 2, ['search'], 1),
      entry(4, 1, ['payments'], 3, { breached: true }),
      entry(3, 1, ['search'], null, { error: 'timeout' }),
      entry(2, 0, ['payments'], 0),
      entry(1, 0, ['search'], 2),
    ];
    const chart = historyChart(items);
    const t0 = Date.UTC(2024, 4, 1, 12, 0) / 1000;
    expect(chart.x).toEqual([t0, t0 + 60, t0 + 120]);
    expect(chart.series.map((s) => s.label)).toEqual(['payments', 'search']);
    expect(chart.series[0]).toEqual({ label: 'payments', values: [0, 3, 7], breached: [false, true, true] });
    expect(chart.series[1]).toEqual({ label: 'search', values: [2, null, 1], breached: [false, false, false] });
    expect(chart.errors).toEqual([t0 + 60]);
    expect(chart.hiddenGroups).toBe(0);
  });
  it('draws only the top groups: most breaches, then highest value', () => {
    const items = [
      entry(1, 0, ['quiet'], 1),
      entry(2, 0, ['loud'], 50),
      entry(3, 0, ['breaching'], 5, { breached: true }),
    ];
    const chart = historyChart(items, 2);
    expect(chart.series.map((s) => s.label)).toEqual(['breaching', 'loud']);
    expect(chart.hiddenGroups).toBe(1);
    expect(historyChart([]).x).toEqual([]);
  });
  it('draws a line for a threshold and a band for a range', () => {
    expect(thresholdOf({ threshold_type: 'above', threshold: 5, range: null })).toEqual({ kind: 'line', value: 5 });
    expect(thresholdOf({ threshold_type: 'inside_range', threshold: null, range: { low: 1, high: 2 } })).toEqual({
      kind: 'band',
      low: 1,
      high: 2,
      inside: true,
    });
    expect(thresholdOf({ threshold_type: 'below', threshold: null, range: null })).toEqual({ kind: 'none' });
  });
});

describe('history pages', () => {
  const page = (ids: number[], next: number | null) => ({ items: ids.map((id) => entry(id, 0, [], id)), next_before: next });
  it('keeps older pages under a refreshed first page', () => {
    const merged = mergeHistory(page([5, 4, 3, 2], 2), page([6, 5, 4], 4));
    expect(merged.items.map((item) => item.id)).toEqual([6, 5, 4, 3, 2]);
    expect(merged.next_before).toBe(2);
  });
  it('starts again when the fresh page does not reach the loaded ones', () => {
    expect(mergeHistory(page([3, 2], null), page([9, 8], 8))).toEqual(page([9, 8], 8));
    expect(mergeHistory(null, page([1], null))).toEqual(page([1], null));
    expect(mergeHistory(page([2, 1], null), page([2, 1], null))).toEqual(page([2, 1], null));
  });
});

describe('notifications', () => {
  it('describes outcomes', () => {
    expect(notificationText({ notification: 'none', notification_error: null })).toBe('');
    expect(notificationText({ notification: 'failed', notification_error: 'HTTP 500' })).toBe('failed: HTTP 500');
    expect(notificationText({ notification: 'silenced', notification_error: null })).toBe('silenced (not sent)');
    expect(testOutcomeText({ ok: true, attempts: 1, status: 200, error: null })).toBe('Delivered (HTTP 200, 1 attempt).');
    expect(testOutcomeText({ ok: false, attempts: 1, status: null, error: 'connection refused' })).toBe(
      'Not delivered: connection refused (1 attempt).',
    );
  });
});

describe('links back', () => {
  const lookups = { savedSearches: [{ id: 3, name: 'Errors', source_id: 2, query: 'level:error', language: 'lucene' as const }] };
  const base = { kind: 'search' as const, saved_search_id: null, source_id: 2, query: 'a b', language: 'sql' as const, dashboard_id: null };
  it('opens the search or the dashboard, for a window', () => {
    expect(watchLink(base, lookups)).toBe('/search?source=2&q=a+b&lang=sql');
    expect(watchLink({ ...base, saved_search_id: 3, source_id: null }, lookups)).toBe('/search?source=2&q=level%3Aerror&saved=3');
    expect(watchLink({ ...base, kind: 'chart', dashboard_id: 9 }, lookups, { start: '2024-05-01T12:00:00Z', end: '2024-05-01T12:05:00Z' })).toBe(
      '/dashboards/9?from=2024-05-01T12%3A00%3A00Z&to=2024-05-01T12%3A05%3A00Z',
    );
    expect(watchLink({ ...base, kind: 'chart', source_id: 2 }, lookups)).toBeNull();
  });
});

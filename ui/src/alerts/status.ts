/** What the scheduler found, in words and numbers: state badges, list order, the history chart's series. */
import type { Alert, AlertState, AlertStatus, HistoryEntry, HistoryPage, TestResult } from '../alertsApi';
import { formatValue } from '../charts/series';

export type Tone = 'alert' | 'pending' | 'ok' | 'unknown' | 'silenced' | 'disabled' | 'error';

export interface Badge {
  label: string;
  tone: Tone;
  /** A longer explanation (a title / tooltip). */
  title: string;
}

const STATE_LABELS: Record<AlertState, string> = {
  alert: 'ALERT',
  pending: 'Pending',
  ok: 'OK',
  unknown: 'not evaluated yet',
};

/** The most consecutive breaching windows of any group: how far a pending alert is towards firing. */
function mostBreaches(status: AlertStatus): number {
  return Math.max(0, ...status.groups.map((group) => group.breaches));
}

/** The badges of an alert's state: its state, then silenced and disabled when they apply. */
export function stateBadges(alert: Pick<Alert, 'enabled' | 'windows' | 'status'>): Badge[] {
  const { status } = alert;
  const badges: Badge[] = [];
  let label = STATE_LABELS[status.state];
  let title = {
    alert: 'Firing: notifications went out (unless silenced).',
    pending: 'Breaching, but not yet for enough windows in a row to fire.',
    ok: 'Within the threshold at the last window.',
    unknown: 'The scheduler has not evaluated a window of this alert yet.',
  }[status.state];
  if (status.state === 'pending' && alert.windows > 1) {
    const seen = Math.min(mostBreaches(status), alert.windows);
    if (seen > 0) {
      label = `Pending ${seen}/${alert.windows}`;
      title = `${seen} of ${alert.windows} consecutive breaching windows needed to fire.`;
    }
  }
  badges.push({ label, tone: status.state, title });
  if (status.silenced) badges.push({ label: 'silenced', tone: 'silenced', title: 'No notifications are sent.' });
  if (!alert.enabled) badges.push({ label: 'disabled', tone: 'disabled', title: 'Not evaluated while disabled.' });
  return badges;
}

const RANK: Record<AlertState, number> = { alert: 0, pending: 1, ok: 2, unknown: 3 };

/** Firing first, then pending, then failing evaluations, OK and not evaluated; disabled last; by name within. */
export function sortAlerts<T extends Pick<Alert, 'name' | 'enabled' | 'status'>>(alerts: readonly T[]): T[] {
  const rank = (alert: T) =>
    (alert.enabled ? 0 : 10) + (alert.status.last_error && RANK[alert.status.state] > 1 ? 1.5 : RANK[alert.status.state]);
  return [...alerts].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** A measured value as the list and the page show it ("—" when there is none). */
export function valueText(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : formatValue(value);
}

/** "3 of 12 groups firing", or null for an alert without group-by. */
export function groupsText(alert: Pick<Alert, 'group_by' | 'status'>): string | null {
  if (alert.group_by.length === 0) return null;
  const { groups_firing: firing, groups } = alert.status;
  if (groups.length === 0) return 'no groups yet';
  const total = groups.length >= 100 ? '100+' : String(groups.length);
  return `${firing} of ${total} group${groups.length === 1 ? '' : 's'} firing`;
}

/** A group key as a label: "payments, eu-west"; the whole alert (no group-by) is "value". */
export function groupLabel(key: readonly string[]): string {
  return key.length === 0 ? 'value' : key.map((part) => (part === '' ? '(empty)' : part)).join(', ');
}

// --- history --------------------------------------------------------------------------------------

/** Older pages appended to the newest: a refreshed first page keeps the older ones already loaded. */
export function mergeHistory(current: HistoryPage | null, fresh: HistoryPage): HistoryPage {
  if (current === null || fresh.items.length === 0) return fresh;
  const oldest = Math.min(...fresh.items.map((item) => item.id));
  const older = current.items.filter((item) => item.id < oldest);
  // No overlap (more new entries than a page) would leave a hole: start again from the fresh page.
  if (older.length === 0 || older.length === current.items.length) return fresh;
  return { items: [...fresh.items, ...older], next_before: current.next_before };
}

/** The threshold drawn on the chart: a line, or a band (the range; `inside` says the band is the breach). */
export type Threshold =
  | { kind: 'line'; value: number }
  | { kind: 'band'; low: number; high: number; inside: boolean }
  | { kind: 'none' };

export function thresholdOf(alert: Pick<Alert, 'threshold_type' | 'threshold' | 'range'>): Threshold {
  if (alert.threshold_type === 'outside_range' || alert.threshold_type === 'inside_range') {
    return alert.range
      ? { kind: 'band', low: alert.range.low, high: alert.range.high, inside: alert.threshold_type === 'inside_range' }
      : { kind: 'none' };
  }
  return alert.threshold === null ? { kind: 'none' } : { kind: 'line', value: alert.threshold };
}

export interface HistorySeries {
  label: string;
  /** One value per x (null: not evaluated, or the evaluation failed). */
  values: (number | null)[];
  /** Whether the window at each x breached. */
  breached: boolean[];
}

export interface HistoryChartData {
  /** Window starts, in seconds, oldest first. */
  x: number[];
  series: HistorySeries[];
  /** Groups left out (only the top ones are drawn). */
  hiddenGroups: number;
  /** Windows whose evaluation failed, in seconds: marked on the chart. */
  errors: number[];
}

/**
 * The history (newest first, as the API gives it) as chart series: one per group, the top `maxGroups`
 * (those that breached most, then by highest value), each value at its window's start.
 */
export function historyChart(items: readonly HistoryEntry[], maxGroups = 8): HistoryChartData {
  const byGroup = new Map<string, { key: string[]; entries: HistoryEntry[] }>();
  const times = new Set<number>();
  const errors = new Set<number>();
  for (const item of items) {
    const seconds = Math.floor(Date.parse(item.window_start) / 1000);
    if (!Number.isFinite(seconds)) continue;
    if (item.error) {
      errors.add(seconds);
      continue;
    }
    times.add(seconds);
    const id = JSON.stringify(item.group);
    const group = byGroup.get(id) ?? { key: item.group, entries: [] };
    group.entries.push(item);
    byGroup.set(id, group);
  }
  const score = (entries: HistoryEntry[]) => ({
    breaches: entries.filter((entry) => entry.breached).length,
    peak: Math.max(-Infinity, ...entries.map((entry) => entry.value ?? -Infinity)),
  });
  const ranked = [...byGroup.values()]
    .map((group) => ({ ...group, ...score(group.entries) }))
    .sort((a, b) => b.breaches - a.breaches || b.peak - a.peak || groupLabel(a.key).localeCompare(groupLabel(b.key)));
  const shown = ranked.slice(0, maxGroups);
  // Only the drawn groups' windows: a hidden group's times would leave empty columns.
  const used = new Set<number>();
  for (const group of shown) for (const entry of group.entries) used.add(Math.floor(Date.parse(entry.window_start) / 1000));
  const x = [...used].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const series = shown.map((group) => {
    const values: (number | null)[] = x.map(() => null);
    const breached = x.map(() => false);
    for (const entry of group.entries) {
      const i = index.get(Math.floor(Date.parse(entry.window_start) / 1000));
      if (i === undefined) continue;
      values[i] = entry.value;
      breached[i] = entry.breached;
    }
    return { label: groupLabel(group.key), values, breached };
  });
  return { x, series, hiddenGroups: Math.max(0, ranked.length - shown.length), errors: [...errors].sort((a, b) => a - b) };
}

// --- notifications --------------------------------------------------------------------------------

/** A history row's notification outcome in words (an empty string when nothing was due). */
export function notificationText(entry: Pick<HistoryEntry, 'notification' | 'notification_error'>): string {
  switch (entry.notification) {
    case 'none':
      return '';
    case 'sent':
      return 'sent';
    case 'silenced':
      return 'silenced (not sent)';
    case 'failed':
      return entry.notification_error ? `failed: ${entry.notification_error}` : 'failed';
  }
}

/** The outcome of "Send test notification". */
export function testOutcomeText(result: TestResult): string {
  const details = [
    result.status !== null ? `HTTP ${result.status}` : null,
    `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`,
  ]
    .filter((part) => part !== null)
    .join(', ');
  if (result.ok) return `Delivered (${details}).`;
  return `Not delivered: ${result.error ?? 'no reason given'} (${details}).`;
}

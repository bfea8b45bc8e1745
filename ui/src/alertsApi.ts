/** The alert and webhook API (`/api/team/alerts`, `/api/team/webhooks`) and what the editor lists. */
import { request } from './api';
import type { Aggregation } from './chartsApi';

export type AlertKind = 'search' | 'chart';
export type ThresholdType = 'above' | 'below' | 'equal' | 'outside_range' | 'inside_range';
export type Interval = '1m' | '5m' | '15m' | '30m' | '1h' | '6h' | '12h' | '1d';
/** A series' aggregation: the same as the charts'. */
export type { Aggregation };

export interface Series {
  aggregation: Aggregation;
  field: string | null;
  where: string;
  where_language: 'lucene' | 'sql';
}

export interface AlertBody {
  name: string;
  enabled: boolean;
  kind: AlertKind;
  saved_search_id: number | null;
  dashboard_id: number | null;
  tile_id: string | null;
  source_id: number | null;
  query: string | null;
  language: 'lucene' | 'sql';
  series: Series | null;
  threshold_type: ThresholdType;
  threshold: number | null;
  range: { low: number; high: number } | null;
  interval: Interval;
  group_by: string[];
  windows: number;
  channels: number[];
  message: string | null;
  silenced_until: string | null;
}

export type AlertState = 'unknown' | 'ok' | 'pending' | 'alert';

/** One group's state (the whole alert is one group, key [], without group-by). */
export interface GroupStatus {
  key: string[];
  label: string;
  state: 'ok' | 'alert';
  value: number | null;
  /** Consecutive breaching windows up to the last one. */
  breaches: number;
  since: string | null;
  last_window_end: string | null;
}

/** What the scheduler last found; groups firing come first (up to 100). */
export interface AlertStatus {
  state: AlertState;
  silenced: boolean;
  last_value: number | null;
  last_window_end: string | null;
  last_evaluated_at: string | null;
  last_error: string | null;
  groups_firing: number;
  groups: GroupStatus[];
}

export interface Alert extends AlertBody {
  id: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  status: AlertStatus;
}

export type Notification = 'none' | 'sent' | 'failed' | 'silenced';

/** One evaluated window of one group. */
export interface HistoryEntry {
  id: number;
  window_start: string;
  window_end: string;
  group: string[];
  value: number | null;
  state: 'ok' | 'alert';
  breached: boolean;
  evaluated_at: string;
  query_ms: number | null;
  notification: Notification;
  notification_error: string | null;
  error: string | null;
}

/** Newest first; `next_before` fetches the older page (null at the end). */
export interface HistoryPage {
  items: HistoryEntry[];
  next_before: number | null;
}

/** The answer to "Send test notification". */
export interface TestResult {
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

export type WebhookKind = 'generic' | 'slack' | 'email';
export type WebhookMethod = 'POST' | 'PUT' | 'PATCH';

export interface Webhook {
  id: number;
  name: string;
  kind: WebhookKind;
  url: string;
  method: WebhookMethod | null;
  header_names: string[];
  body_template: string | null;
  /** Email channels: the addresses; [] for the other kinds. */
  recipients: string[];
  created_at: string;
  updated_at: string;
}

export interface SavedSearchSummary {
  id: number;
  name: string;
  source_id: number;
  query: string;
  language: 'lucene' | 'sql';
}

export interface DashboardTileSummary {
  id: string;
  title: string;
  chart: { display: string; source_id: number | null };
}

export interface DashboardSummary {
  id: number;
  name: string;
  tiles: DashboardTileSummary[];
}

export interface SourceSummary {
  id: number;
  name: string;
  kind: string;
}

export const alertsApi = {
  alerts: (signal?: AbortSignal) => request<Alert[]>('team/alerts', { signal }),
  alert: (id: number, signal?: AbortSignal) => request<Alert>(`team/alerts/${id}`, { signal }),
  createAlert: (body: AlertBody) => request<Alert>('team/alerts', { body }),
  replaceAlert: (id: number, body: AlertBody) => request<Alert>(`team/alerts/${id}`, { method: 'PUT', body }),
  patchAlert: (id: number, body: Partial<AlertBody>) =>
    request<Alert>(`team/alerts/${id}`, { method: 'PATCH', body }),
  deleteAlert: (id: number) => request<void>(`team/alerts/${id}`, { method: 'DELETE' }),
  silence: (id: number, until: string) => request<Alert>(`team/alerts/${id}/silence`, { body: { until } }),
  unsilence: (id: number) => request<Alert>(`team/alerts/${id}/unsilence`, { method: 'POST' }),
  history: (id: number, options: { limit?: number; before?: number | null } = {}, signal?: AbortSignal) => {
    const params = new URLSearchParams({ limit: String(options.limit ?? 200) });
    if (options.before !== undefined && options.before !== null) params.set('before', String(options.before));
    return request<HistoryPage>(`team/alerts/${id}/history?${params.toString()}`, { signal });
  },

  webhooks: (signal?: AbortSignal) => request<Webhook[]>('team/webhooks', { signal }),
  webhook: (id: number, signal?: AbortSignal) => request<Webhook>(`team/webhooks/${id}`, { signal }),
  createWebhook: (body: Record<string, unknown>) => request<Webhook>('team/webhooks', { body }),
  changeWebhook: (id: number, body: Record<string, unknown>) =>
    request<Webhook>(`team/webhooks/${id}`, { method: 'PATCH', body }),
  deleteWebhook: (id: number) => request<void>(`team/webhooks/${id}`, { method: 'DELETE' }),
  testWebhook: (id: number) => request<TestResult>(`team/webhooks/${id}/test`, { method: 'POST' }),

  savedSearches: (signal?: AbortSignal) => request<SavedSearchSummary[]>('team/saved-searches', { signal }),
  dashboards: (signal?: AbortSignal) => request<DashboardSummary[]>('team/dashboards', { signal }),
  sources: (signal?: AbortSignal) => request<SourceSummary[]>('team/sources', { signal }),
};

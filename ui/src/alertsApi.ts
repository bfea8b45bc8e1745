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

export interface Alert extends AlertBody {
  id: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
}

export type WebhookKind = 'generic' | 'slack';
export type WebhookMethod = 'POST' | 'PUT' | 'PATCH';

export interface Webhook {
  id: number;
  name: string;
  kind: WebhookKind;
  url: string;
  method: WebhookMethod | null;
  header_names: string[];
  body_template: string | null;
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

  webhooks: (signal?: AbortSignal) => request<Webhook[]>('team/webhooks', { signal }),
  webhook: (id: number, signal?: AbortSignal) => request<Webhook>(`team/webhooks/${id}`, { signal }),
  createWebhook: (body: Record<string, unknown>) => request<Webhook>('team/webhooks', { body }),
  changeWebhook: (id: number, body: Record<string, unknown>) =>
    request<Webhook>(`team/webhooks/${id}`, { method: 'PATCH', body }),
  deleteWebhook: (id: number) => request<void>(`team/webhooks/${id}`, { method: 'DELETE' }),

  savedSearches: (signal?: AbortSignal) => request<SavedSearchSummary[]>('team/saved-searches', { signal }),
  dashboards: (signal?: AbortSignal) => request<DashboardSummary[]>('team/dashboards', { signal }),
  sources: (signal?: AbortSignal) => request<SourceSummary[]>('team/sources', { signal }),
};

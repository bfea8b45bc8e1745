/** Pure helpers for the team settings and join pages: durations, links, statuses, roles, source forms. */
import type { Role, SourceKind } from './types';
import type { Problems } from './ui/problems';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Seconds in a duration such as "30d", "12h", "90s" or "1h30m" (units s m h d w, largest first or not);
 * a bare number is seconds. Null for anything else, or nothing at all.
 */
export function durationSeconds(text: string): number | null {
  const trimmed = text.trim().toLowerCase().replace(/\s+/g, '');
  if (trimmed === '') return null;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+[smhdw])+$/.test(trimmed)) return null;
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(part[1]) * (UNIT_SECONDS[part[2] ?? 's'] ?? 1);
  }
  return total;
}

/** The shortest exact text for a number of seconds in s, m, h or d: 2592000 → "30d", 5400 → "90m". */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] ?? 1;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds)}s`;
}

/** Seconds in words for reading: 2592000 → "30 days", 3600 → "1 hour", 90 → "90 seconds". */
export function durationWords(seconds: number): string {
  const names: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, name] of names) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** The link an invited person opens: `<app base>/join/<token>` (the base ends in '/'). */
export function joinLink(appBase: string, token: string): string {
  const base = appBase.endsWith('/') ? appBase : `${appBase}/`;
  return `${base}join/${encodeURIComponent(token)}`;
}

export interface InvitationTimes {
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export type InvitationStatus = 'pending' | 'used' | 'revoked' | 'expired';

export function invitationStatus(invitation: InvitationTimes, nowMs: number = Date.now()): InvitationStatus {
  if (invitation.used_at) return 'used';
  if (invitation.revoked_at) return 'revoked';
  return Date.parse(invitation.expires_at) <= nowMs ? 'expired' : 'pending';
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** Whether `role` may do what `needed` may (admin ⊇ member ⊇ viewer). */
export function canDo(role: Role | string, needed: Role): boolean {
  return (RANK[role as Role] ?? -1) >= RANK[needed];
}

export const ROLES: Role[] = ['viewer', 'member', 'admin'];

export const ROLE_HELP: Record<Role, string> = {
  viewer: 'reads everything',
  member: 'also writes saved searches, dashboards, alerts and webhooks',
  admin: 'also manages members, invitations, keys, connections and sources',
};

/** When an API key made now with this choice stops working ("never" → null), as ISO-8601 UTC. */
export function expiryFrom(choice: string, nowMs: number = Date.now(), customDate = ''): string | null {
  if (choice === 'never') return null;
  if (choice === 'custom') {
    // A calendar date means the end of that day in UTC.
    const ms = Date.parse(`${customDate}T23:59:59Z`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  const seconds = durationSeconds(choice);
  return seconds === null ? null : new Date(nowMs + seconds * 1000).toISOString();
}

// --- sources ---------------------------------------------------------------------------------------

export interface ColumnField {
  key: string;
  label: string;
  help: string;
}

/** The expressions a source may have, in the order the form shows them. */
export const COLUMN_FIELDS: ColumnField[] = [
  { key: 'timestamp', label: 'Timestamp', help: 'The time column the range filters on, e.g. TimestampTime' },
  { key: 'displayed_timestamp', label: 'Displayed timestamp', help: 'A more precise time to show, e.g. Timestamp' },
  { key: 'default_select', label: 'Default columns', help: 'What search shows, e.g. Timestamp, ServiceName, Body' },
  { key: 'implicit_column', label: 'Implicit column', help: 'Where bare search words look, e.g. Body' },
  { key: 'body', label: 'Body', help: 'The message, e.g. Body' },
  { key: 'severity', label: 'Severity', help: 'e.g. SeverityText' },
  { key: 'service', label: 'Service', help: 'e.g. ServiceName' },
  { key: 'trace_id', label: 'Trace id', help: 'e.g. TraceId' },
  { key: 'span_id', label: 'Span id', help: 'e.g. SpanId' },
  { key: 'parent_span_id', label: 'Parent span id', help: 'e.g. ParentSpanId' },
  { key: 'span_name', label: 'Span name', help: 'e.g. SpanName' },
  { key: 'span_kind', label: 'Span kind', help: 'e.g. SpanKind' },
  { key: 'status_code', label: 'Status code', help: 'e.g. StatusCode' },
  { key: 'status_message', label: 'Status message', help: 'e.g. StatusMessage' },
  { key: 'duration', label: 'Duration', help: 'e.g. Duration' },
  { key: 'duration_precision', label: 'Duration precision', help: 'Digits after the second: 9 = ns, 3 = ms' },
  { key: 'event_attributes', label: 'Event attributes', help: 'e.g. LogAttributes or SpanAttributes' },
  { key: 'resource_attributes', label: 'Resource attributes', help: 'e.g. ResourceAttributes' },
  { key: 'span_events', label: 'Span events', help: 'e.g. Events' },
  { key: 'links', label: 'Links', help: 'e.g. Links' },
];

export const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'] as const;

/** The expressions each kind needs (the server says the same in its 422). */
export const REQUIRED_COLUMNS: Record<SourceKind, string[]> = {
  log: ['timestamp', 'body'],
  trace: ['timestamp', 'trace_id', 'span_id', 'duration', 'span_name'],
  metric: ['timestamp', 'metric_tables'],
  session: ['timestamp'],
};

/** The expressions every event source (log, trace, session) reads first. */
const EVENT_FIELDS = ['timestamp', 'displayed_timestamp', 'default_select', 'implicit_column', 'body'];

/** Which expressions the form shows for a kind: the ones that kind reads. */
export const KIND_FIELDS: Record<SourceKind, string[]> = {
  log: [
    ...EVENT_FIELDS,
    'severity',
    'service',
    'trace_id',
    'span_id',
    'event_attributes',
    'resource_attributes',
  ],
  trace: [
    ...EVENT_FIELDS,
    'span_name',
    'span_kind',
    'severity',
    'status_code',
    'status_message',
    'service',
    'trace_id',
    'span_id',
    'parent_span_id',
    'duration',
    'duration_precision',
    'event_attributes',
    'resource_attributes',
    'span_events',
    'links',
  ],
  metric: ['timestamp', 'service', 'resource_attributes'],
  session: [
    ...EVENT_FIELDS,
    'severity',
    'service',
    'event_attributes',
    'resource_attributes',
  ],
};

export interface SourceForm {
  name: string;
  kind: SourceKind;
  connection_id: string;
  database: string;
  table: string;
  /** Expression text by column key ('' = not set), and 'metric_tables.<type>' for metric tables. */
  columns: Record<string, string>;
}

/** A stored source's columns as form text. */
export function columnsToForm(columns: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(columns)) {
    if (key === 'metric_tables' && value && typeof value === 'object') {
      for (const [type, table] of Object.entries(value as Record<string, unknown>)) {
        if (typeof table === 'string' && table) out[`metric_tables.${type}`] = table;
      }
    } else if (typeof value === 'string' || typeof value === 'number') {
      out[key] = String(value);
    }
  }
  return out;
}

export type { Problems };

/**
 * The API body for a source form, or the problems to show by field (keys as the server's
 * `error.field` names them: `name`, `table`, `columns.body`, `columns.metric_tables`, …).
 */
export function sourceBody(form: SourceForm): { body: Record<string, unknown> } | { problems: Problems } {
  const problems: Problems = {};
  if (!form.name.trim()) problems.name = 'Give the source a name.';
  if (!form.database.trim()) problems.database = 'Give the database.';
  if (!form.table.trim()) problems.table = 'Give the table.';
  const connection = Number(form.connection_id);
  if (!Number.isInteger(connection) || connection < 1) problems.connection_id = 'Choose a connection.';
  const columns: Record<string, unknown> = {};
  for (const key of KIND_FIELDS[form.kind]) {
    const text = (form.columns[key] ?? '').trim();
    if (text === '') continue;
    if (key === 'duration_precision') {
      const digits = Number(text);
      if (!Number.isInteger(digits) || digits < 0 || digits > 9) {
        problems['columns.duration_precision'] = 'A whole number from 0 to 9.';
      } else {
        columns[key] = digits;
      }
    } else {
      columns[key] = text;
    }
  }
  if (form.kind === 'metric') {
    const tables: Record<string, string> = {};
    for (const type of METRIC_TYPES) {
      const text = (form.columns[`metric_tables.${type}`] ?? '').trim();
      if (text) tables[type] = text;
    }
    if (Object.keys(tables).length > 0) columns.metric_tables = tables;
  }
  for (const key of REQUIRED_COLUMNS[form.kind]) {
    if (columns[key] === undefined) problems[`columns.${key}`] = `A ${form.kind} source needs this.`;
  }
  if (Object.keys(problems).length > 0) return { problems };
  return {
    body: {
      name: form.name.trim(),
      kind: form.kind,
      connection_id: connection,
      database: form.database.trim(),
      table: form.table.trim(),
      columns,
    },
  };
}

/** The form field a server's `error.field` belongs to: `columns.metric_tables.sum` → `columns.metric_tables`. */
export function problemField(field: string | undefined): string {
  if (!field) return 'form';
  const parts = field.split('.');
  if (parts[0] === 'columns' && parts[1] === 'metric_tables') return 'columns.metric_tables';
  return parts.slice(0, parts[0] === 'columns' ? 2 : 1).join('.');
}

const LOG_PRESET: Record<string, string> = {
  timestamp: 'TimestampTime',
  displayed_timestamp: 'Timestamp',
  default_select: 'Timestamp, ServiceName, SeverityText, Body',
  implicit_column: 'Body',
  body: 'Body',
  severity: 'SeverityText',
  service: 'ServiceName',
  trace_id: 'TraceId',
  span_id: 'SpanId',
  event_attributes: 'LogAttributes',
  resource_attributes: 'ResourceAttributes',
};

/**
 * The column expressions of the OpenTelemetry collector's ClickHouse tables (what ClickStack and
 * otelhouse store), as form text, with the usual table name: a starting point for a new source.
 */
export const CLICKSTACK_PRESETS: Record<SourceKind, { table: string; columns: Record<string, string> }> = {
  log: { table: 'otel_logs', columns: LOG_PRESET },
  trace: {
    table: 'otel_traces',
    columns: {
      timestamp: 'Timestamp',
      default_select: 'Timestamp, ServiceName, StatusCode, round(Duration / 1e6), SpanName',
      implicit_column: 'SpanName',
      body: 'SpanName',
      span_name: 'SpanName',
      span_kind: 'SpanKind',
      severity: 'StatusCode',
      status_code: 'StatusCode',
      status_message: 'StatusMessage',
      service: 'ServiceName',
      trace_id: 'TraceId',
      span_id: 'SpanId',
      parent_span_id: 'ParentSpanId',
      duration: 'Duration',
      duration_precision: '9',
      event_attributes: 'SpanAttributes',
      resource_attributes: 'ResourceAttributes',
      span_events: 'Events',
      links: 'Links',
    },
  },
  metric: {
    table: 'otel_metrics_gauge',
    columns: {
      timestamp: 'TimeUnix',
      service: 'ServiceName',
      resource_attributes: 'ResourceAttributes',
      ...Object.fromEntries(METRIC_TYPES.map((type) => [`metric_tables.${type}`, `otel_metrics_${type}`])),
    },
  },
  session: {
    table: 'hyperdx_sessions',
    columns: { ...LOG_PRESET, default_select: 'Timestamp, ServiceName, Body' },
  },
};

// --- retention ---------------------------------------------------------------------------------------------

export const SIGNALS = ['logs', 'traces', 'metrics', 'sessions'] as const;
export type Signal = (typeof SIGNALS)[number];

/** The server's own table that stands for each signal's retention (all metric tables share one). */
const SIGNAL_TABLES: Record<Signal, string> = {
  logs: 'otel_logs',
  traces: 'otel_traces',
  metrics: 'otel_metrics_gauge',
  sessions: 'hyperdx_sessions',
};

/** The current retention of each signal as form text ("30d"), from the tables the API reports. */
export function retentionForm(tables: Array<{ table: string; seconds: number | null }>): Record<Signal, string> {
  const form = { logs: '', traces: '', metrics: '', sessions: '' };
  for (const signal of SIGNALS) {
    const found = tables.find((t) => t.table === SIGNAL_TABLES[signal] && t.seconds !== null);
    if (found?.seconds) form[signal] = durationText(found.seconds);
  }
  return form;
}

/** The PUT body: only the signals whose text changed; problems for text that is not a duration. */
export function retentionChange(
  before: Record<Signal, string>,
  after: Record<Signal, string>,
): { body: Partial<Record<Signal, string>> } | { problems: Problems } {
  const body: Partial<Record<Signal, string>> = {};
  const problems: Problems = {};
  for (const signal of SIGNALS) {
    const text = after[signal].trim();
    if (text === before[signal].trim()) continue;
    const seconds = durationSeconds(text);
    if (seconds === null || seconds <= 0) problems[signal] = 'a duration such as 30d, 12h or 2w';
    else body[signal] = durationText(seconds);
  }
  return Object.keys(problems).length > 0 ? { problems } : { body };
}

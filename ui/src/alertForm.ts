/** The alert and webhook editors' state ↔ API bodies, their checks, and text for the list. */
import type {
  Aggregation,
  Alert,
  AlertBody,
  AlertKind,
  DashboardSummary,
  Interval,
  SourceSummary,
  ThresholdType,
  Webhook,
  WebhookKind,
  WebhookMethod,
} from './alertsApi';
import { AGGREGATIONS as EVENT_AGGREGATIONS } from './chartsApi';
import type { Problems } from './ui/problems';

export const INTERVALS: Interval[] = ['1m', '5m', '15m', '30m', '1h', '6h', '12h', '1d'];
/** A series' aggregations are the charts' (the server shares them), and a metric sum's rate and increase. */
export const AGGREGATIONS: Aggregation[] = [...EVENT_AGGREGATIONS, 'rate', 'increase'];

/** The threshold types each kind takes (the server refuses the others). */
export const THRESHOLD_TYPES: Record<AlertKind, ThresholdType[]> = {
  search: ['above', 'below', 'equal'],
  chart: ['above', 'below', 'outside_range', 'inside_range'],
};

export const THRESHOLD_LABELS: Record<ThresholdType, string> = {
  above: 'above',
  below: 'below',
  equal: 'equal to',
  outside_range: 'outside the range',
  inside_range: 'inside the range',
};

const RANGES: ThresholdType[] = ['outside_range', 'inside_range'];

export type Target = 'saved' | 'inline' | 'tile' | 'series';

export interface AlertForm {
  name: string;
  enabled: boolean;
  kind: AlertKind;
  /** search: a saved search or a source with a query; chart: a dashboard tile or a series here. */
  target: Target;
  saved_search_id: string;
  source_id: string;
  query: string;
  language: 'lucene' | 'sql';
  dashboard_id: string;
  tile_id: string;
  aggregation: Aggregation;
  field: string;
  where: string;
  threshold_type: ThresholdType;
  threshold: string;
  low: string;
  high: string;
  interval: Interval;
  windows: string;
  /** One expression a line. */
  group_by: string;
  channels: number[];
  message: string;
  silenced_until: string | null;
}

export function emptyAlertForm(): AlertForm {
  return {
    name: '',
    enabled: true,
    kind: 'search',
    target: 'saved',
    saved_search_id: '',
    source_id: '',
    query: '',
    language: 'lucene',
    dashboard_id: '',
    tile_id: '',
    aggregation: 'count',
    field: '',
    where: '',
    threshold_type: 'above',
    threshold: '',
    low: '',
    high: '',
    interval: '5m',
    windows: '1',
    group_by: '',
    channels: [],
    message: '',
    silenced_until: null,
  };
}

const text = (value: number | string | null | undefined): string =>
  value === null || value === undefined ? '' : String(value);

export function alertToForm(alert: Alert): AlertForm {
  const target: Target =
    alert.kind === 'search'
      ? alert.saved_search_id !== null
        ? 'saved'
        : 'inline'
      : alert.dashboard_id !== null
        ? 'tile'
        : 'series';
  return {
    name: alert.name,
    enabled: alert.enabled,
    kind: alert.kind,
    target,
    saved_search_id: text(alert.saved_search_id),
    source_id: text(alert.source_id),
    query: alert.query ?? '',
    language: alert.language,
    dashboard_id: text(alert.dashboard_id),
    tile_id: alert.tile_id ?? '',
    aggregation: alert.series?.aggregation ?? 'count',
    field: alert.series?.field ?? '',
    where: alert.series?.where ?? '',
    threshold_type: alert.threshold_type,
    threshold: text(alert.threshold),
    low: text(alert.range?.low),
    high: text(alert.range?.high),
    interval: alert.interval,
    windows: String(alert.windows),
    group_by: alert.group_by.join('\n'),
    channels: [...alert.channels],
    message: alert.message ?? '',
    silenced_until: alert.silenced_until,
  };
}

/** The form after the kind changed: a target and threshold type that kind takes. */
export function withKind(form: AlertForm, kind: AlertKind): AlertForm {
  const target: Target = kind === 'search' ? 'saved' : 'tile';
  const thresholdType = THRESHOLD_TYPES[kind].includes(form.threshold_type) ? form.threshold_type : 'above';
  return { ...form, kind, target, threshold_type: thresholdType };
}

/** What a new alert's editor starts from: the form, and a note saying where it came from (or what is missing). */
export interface Prefill {
  form: AlertForm;
  note: string | null;
}

const MAX_NAME = 200;
const clip = (name: string) => (name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name);

/**
 * A new alert from the address the Search page and the dashboard tiles link to:
 * `?source=<id>&q=<query>&lang=<lucene|sql>` (a search alert on that query) or `?dashboard=<id>&tile=<tileId>`
 * (a chart alert on that tile). Anything else gives the empty form.
 */
export function prefillAlert(
  params: URLSearchParams,
  lookups: { sources: SourceSummary[]; dashboards: DashboardSummary[] },
): Prefill {
  const form = emptyAlertForm();
  const dashboard = params.get('dashboard');
  if (dashboard !== null) {
    const board = lookups.dashboards.find((one) => String(one.id) === dashboard);
    const tileId = params.get('tile') ?? '';
    const tile = board?.tiles.find((one) => one.id === tileId && one.chart.display !== 'markdown');
    const onTile: AlertForm = { ...withKind(form, 'chart'), target: 'tile' };
    if (!board) return { form: onTile, note: 'That dashboard was not found: choose the dashboard and tile below.' };
    const watched: AlertForm = { ...onTile, dashboard_id: String(board.id) };
    if (!tile) return { form: watched, note: `That tile is not on “${board.name}” (or has no value): choose one below.` };
    const title = tile.title || tile.id;
    return {
      form: { ...watched, tile_id: tile.id, name: clip(`${title} on ${board.name}`) },
      note: `Watching the tile “${title}” of “${board.name}”: set the threshold and whom to notify.`,
    };
  }
  const sourceParam = params.get('source');
  if (sourceParam !== null) {
    const source = lookups.sources.find((one) => String(one.id) === sourceParam);
    const query = params.get('q') ?? '';
    const language = params.get('lang') === 'sql' ? 'sql' : 'lucene';
    const inline: AlertForm = { ...form, kind: 'search', target: 'inline', query, language };
    if (!source) return { form: inline, note: 'That source was not found: choose one below.' };
    return {
      form: { ...inline, source_id: String(source.id), name: clip(query.trim() ? `${source.name}: ${query.trim()}` : `${source.name}: all rows`) },
      note: `Counting the rows of this search on ${source.name}: set the threshold and whom to notify.`,
    };
  }
  return { form, note: null };
}

export type { Problems };

function id(value: string): number | null {
  const number = Number(value);
  return value.trim() !== '' && Number.isInteger(number) && number >= 1 ? number : null;
}

function number(value: string): number | null {
  if (value.trim() === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/**
 * The API body for the form, or problems keyed by the field the server would name (`name`,
 * `saved_search_id`, `source_id`, `tile_id`, `series.field`, `threshold`, `range.low`, `range.high`, …).
 */
export function alertBody(form: AlertForm): { body: AlertBody } | { problems: Problems } {
  const problems: Problems = {};
  if (!form.name.trim()) problems.name = 'Give the alert a name.';
  const body: AlertBody = {
    name: form.name.trim(),
    enabled: form.enabled,
    kind: form.kind,
    saved_search_id: null,
    dashboard_id: null,
    tile_id: null,
    source_id: null,
    query: null,
    language: form.language,
    series: null,
    threshold_type: form.threshold_type,
    threshold: null,
    range: null,
    interval: form.interval,
    group_by: form.group_by
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    windows: 1,
    channels: [...form.channels],
    message: form.message.trim() === '' ? null : form.message,
    silenced_until: form.silenced_until,
  };
  if (form.target === 'saved') {
    body.saved_search_id = id(form.saved_search_id);
    if (body.saved_search_id === null) problems.saved_search_id = 'Choose the saved search to watch.';
  } else if (form.target === 'inline') {
    body.source_id = id(form.source_id);
    body.query = form.query;
    if (body.source_id === null) problems.source_id = 'Choose the source to search.';
  } else if (form.target === 'tile') {
    body.dashboard_id = id(form.dashboard_id);
    body.tile_id = form.tile_id === '' ? null : form.tile_id;
    if (body.dashboard_id === null) problems.dashboard_id = 'Choose the dashboard.';
    else if (body.tile_id === null) problems.tile_id = 'Choose the tile to watch.';
  } else {
    body.source_id = id(form.source_id);
    if (body.source_id === null) problems.source_id = 'Choose the source to chart.';
    const field = form.field.trim();
    if (form.aggregation !== 'count' && field === '') problems['series.field'] = `${form.aggregation} needs a field.`;
    body.series = {
      aggregation: form.aggregation,
      field: field === '' ? null : field,
      where: form.where,
      where_language: form.language,
    };
  }
  if (!THRESHOLD_TYPES[form.kind].includes(form.threshold_type)) {
    problems.threshold_type = `A ${form.kind} alert is ${THRESHOLD_TYPES[form.kind].join(', ')}.`;
  }
  if (RANGES.includes(form.threshold_type)) {
    const low = number(form.low);
    const high = number(form.high);
    if (low === null) problems['range.low'] = 'Give the low end as a number.';
    if (high === null) problems['range.high'] = 'Give the high end as a number.';
    else if (low !== null && low > high) problems['range.high'] = 'The high end must not be below the low end.';
    if (low !== null && high !== null) body.range = { low, high };
  } else {
    body.threshold = number(form.threshold);
    if (body.threshold === null) problems.threshold = 'Give the threshold as a number.';
  }
  const windows = Number(form.windows);
  if (!Number.isInteger(windows) || windows < 1 || windows > 100) problems.windows = 'A whole number from 1 to 100.';
  else body.windows = windows;
  if (body.group_by.length > 3) problems.group_by = 'At most 3 expressions.';
  return Object.keys(problems).length > 0 ? { problems } : { body };
}

/** Where a server's `error.field` goes in the form: `series.field` stays, `channels.0` → `channels`. */
export function alertProblemField(field: string | undefined): string {
  if (!field) return 'form';
  if (field.startsWith('series.') || field.startsWith('range.')) return field.split('.').slice(0, 2).join('.');
  return field.split('.')[0] ?? 'form';
}

/** The threshold in short words: "> 10", "< 0.5", "= 3", "outside 1…5". */
export function thresholdText(alert: Pick<AlertBody, 'threshold_type' | 'threshold' | 'range'>): string {
  switch (alert.threshold_type) {
    case 'above':
      return `> ${alert.threshold ?? '?'}`;
    case 'below':
      return `< ${alert.threshold ?? '?'}`;
    case 'equal':
      return `= ${alert.threshold ?? '?'}`;
    case 'outside_range':
      return `outside ${alert.range?.low ?? '?'}…${alert.range?.high ?? '?'}`;
    case 'inside_range':
      return `inside ${alert.range?.low ?? '?'}…${alert.range?.high ?? '?'}`;
  }
}

/** Whether the alert is silenced at `nowMs`. */
export function isSilenced(alert: Pick<AlertBody, 'silenced_until'>, nowMs: number = Date.now()): boolean {
  return alert.silenced_until !== null && Date.parse(alert.silenced_until) > nowMs;
}

export const SILENCE_CHOICES: { value: string; label: string; seconds: number }[] = [
  { value: '30m', label: '30 minutes', seconds: 1800 },
  { value: '1h', label: '1 hour', seconds: 3600 },
  { value: '4h', label: '4 hours', seconds: 14_400 },
  { value: '1d', label: '1 day', seconds: 86_400 },
  { value: '1w', label: '1 week', seconds: 604_800 },
];

/** When a silence chosen now ends, as ISO-8601 UTC. */
export function silenceUntil(choice: string, nowMs: number = Date.now()): string {
  const seconds = SILENCE_CHOICES.find((one) => one.value === choice)?.seconds ?? 3600;
  return new Date(nowMs + seconds * 1000).toISOString();
}

// --- webhooks --------------------------------------------------------------------------------------

export interface WebhookForm {
  name: string;
  kind: WebhookKind;
  url: string;
  method: WebhookMethod;
  /** "Name: value" a line. Write-only: when editing, empty keeps the stored headers. */
  headers: string;
  clearHeaders: boolean;
  body_template: string;
  /** Email channels: addresses, one a line (commas work too). */
  recipients: string;
}

export function emptyWebhookForm(): WebhookForm {
  return {
    name: '',
    kind: 'generic',
    url: '',
    method: 'POST',
    headers: '',
    clearHeaders: false,
    body_template: '',
    recipients: '',
  };
}

export function webhookToForm(webhook: Webhook): WebhookForm {
  return {
    name: webhook.name,
    kind: webhook.kind,
    url: webhook.url,
    method: webhook.method ?? 'POST',
    headers: '',
    clearHeaders: false,
    body_template: webhook.body_template ?? '',
    recipients: webhook.recipients.join('\n'),
  };
}

/** The server's limit on an email channel's recipients. */
export const MAX_RECIPIENTS = 20;
// A plain address, as the server takes it: no display name ("Ops <ops@…>"), no comments.
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$/;

/** Addresses typed one a line or separated by commas, semicolons or spaces: the list, or what is wrong. */
export function parseRecipients(text: string): { recipients: string[] } | { problem: string } {
  const given = text
    .split(/[\s,;]+/)
    .map((one) => one.trim())
    .filter((one) => one !== '');
  if (given.length === 0) return { problem: 'Give at least one address, like ops@example.com.' };
  const recipients = [...new Set(given)];
  const bad = recipients.find((one) => one.length > 320 || !ADDRESS.test(one));
  if (bad !== undefined) return { problem: `“${bad}” is not an email address like ops@example.com.` };
  if (recipients.length > MAX_RECIPIENTS) return { problem: `At most ${MAX_RECIPIENTS} addresses.` };
  return { recipients };
}

/** Header lines ("Name: value") as an object, or the problem with the first bad line. */
export function parseHeaders(text: string): { headers: Record<string, string> } | { problem: string } {
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      return { problem: `Line ${index + 1}: write a header as "Name: value".` };
    }
    if (seen.has(name.toLowerCase())) return { problem: `Line ${index + 1}: ${name} is given twice.` };
    seen.add(name.toLowerCase());
    headers[name] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/**
 * The API body for a webhook form: everything for a new one; for a change, headers only when new
 * ones are typed (or removal asked), and no method or body template for Slack (the server refuses them).
 * An email channel sends its recipients only.
 */
export function webhookBody(form: WebhookForm, editing: boolean): { body: Record<string, unknown> } | { problems: Problems } {
  const problems: Problems = {};
  if (!form.name.trim()) problems.name = 'Give the webhook a name.';
  if (form.kind === 'email') {
    const parsed = parseRecipients(form.recipients);
    if ('problem' in parsed) problems.recipients = parsed.problem;
    const body = { name: form.name.trim(), kind: form.kind, recipients: 'problem' in parsed ? [] : parsed.recipients };
    return Object.keys(problems).length > 0 ? { problems } : { body };
  }
  const url = form.url.trim();
  if (url === '') problems.url = 'Give the URL to send to.';
  else if (form.kind === 'slack' && !url.startsWith('https://hooks.slack.com/')) {
    problems.url = 'A Slack webhook URL starts with https://hooks.slack.com/';
  }
  const body: Record<string, unknown> = { name: form.name.trim(), kind: form.kind, url };
  if (form.kind === 'generic') {
    body.method = form.method;
    body.body_template = form.body_template === '' ? null : form.body_template;
  }
  if (form.clearHeaders) {
    body.headers = {};
  } else if (form.headers.trim() !== '' || !editing) {
    const parsed = parseHeaders(form.headers);
    if ('problem' in parsed) problems.headers = parsed.problem;
    else body.headers = parsed.headers;
  }
  return Object.keys(problems).length > 0 ? { problems } : { body };
}

import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import { api } from '../api';
import { CopyButton, ErrorMessage, Loading } from '../components';
import { formatCell, isTimeType } from '../format';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { TraceView } from '../trace/TraceView';
import { formatDuration } from '../trace/waterfall';
import {
  failure,
  sourceRole,
  traceApi,
  type ContextAnswer,
  type ContextMatch,
  type RowDetail,
  type SourceWithColumns,
} from '../traceApi';
import type { Column, Source } from '../types';
import { mapColumn, rowField } from './filters';
import '../styles/trace.css';

export interface RowPanelProps {
  source: Source;
  rowId: string;
  onFilter: (field: string, value: string, exclude: boolean) => void;
  onClose: () => void;
  /** Show a column (a name, or a map value such as `LogAttributes['http.route']`) in the results. */
  onAddColumn?: (column: string) => void;
}

type Tab = 'overview' | 'json' | 'context' | 'trace';
type Load<T> = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; value: T };

const ZERO_ID = /^0*$/;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of the row's column for a role (`service` → row.ServiceName), as text. */
function roleValue(source: Source, row: Record<string, unknown>, role: string): string | undefined {
  const column = sourceRole(source, role);
  if (column === undefined || !(column in row)) return undefined;
  return formatCell(row[column]);
}

/** The side panel of one search result: its fields (each a filter away), raw JSON, neighbours, trace. */
export function RowPanel({ source, rowId, onFilter, onClose, onAddColumn }: RowPanelProps): JSX.Element {
  const [detail, setDetail] = useState<Load<RowDetail>>({ kind: 'loading' });
  const [tab, setTab] = useState<Tab>('overview');
  const close = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setDetail({ kind: 'loading' });
    traceApi.row(source.id, rowId, controller.signal).then(
      (value) => setDetail({ kind: 'ready', value }),
      (err: unknown) => {
        const message = failure(err);
        if (message !== null) setDetail({ kind: 'error', message });
      },
    );
    return () => controller.abort();
  }, [source.id, rowId]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  useEffect(() => close.current?.focus(), []);

  const row = detail.kind === 'ready' ? detail.value.row : undefined;
  const traceId = row ? (roleValue(source, row, 'trace_id') ?? '') : '';
  const hasTrace = traceId !== '' && !ZERO_ID.test(traceId);
  const tabs: Array<[Tab, string]> = [
    ['overview', 'Overview'],
    ['json', 'JSON'],
    ['context', 'Context'],
  ];
  if (hasTrace) tabs.push(['trace', 'Trace']);
  const shownTab = tab === 'trace' && !hasTrace ? 'overview' : tab;

  return (
    <aside className="panel-drawer" role="dialog" aria-modal="false" aria-label="Row details">
      <header className="panel-head">
        <h2>Row details</h2>
        <button ref={close} type="button" className="secondary small" onClick={onClose} aria-label="Close row details">
          ×
        </button>
      </header>
      <div className="panel-tabs" role="tablist" aria-label="Row views">
        {tabs.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            id={`panel-tab-${key}`}
            aria-selected={shownTab === key}
            aria-controls={`panel-view-${key}`}
            className={shownTab === key ? 'panel-tab panel-tab-on' : 'panel-tab'}
            onClick={() => setTab(key)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="panel-body" role="tabpanel" id={`panel-view-${shownTab}`} aria-labelledby={`panel-tab-${shownTab}`}>
        {detail.kind === 'loading' && <Loading what="the row" />}
        {detail.kind === 'error' && <ErrorMessage message={detail.message} />}
        {detail.kind === 'ready' && shownTab === 'overview' && (
          <Overview source={source} detail={detail.value} onFilter={onFilter} onAddColumn={onAddColumn} />
        )}
        {detail.kind === 'ready' && shownTab === 'json' && <RawJson row={detail.value.row} />}
        {detail.kind === 'ready' && shownTab === 'context' && <Context source={source} rowId={rowId} />}
        {detail.kind === 'ready' && shownTab === 'trace' && hasTrace && (
          <RowTrace source={source} row={detail.value.row} traceId={traceId.toLowerCase()} />
        )}
      </div>
    </aside>
  );
}

// --- overview --------------------------------------------------------------------------------------------

interface OverviewProps {
  source: Source;
  detail: RowDetail;
  onFilter: RowPanelProps['onFilter'];
  onAddColumn: RowPanelProps['onAddColumn'];
}

interface Group {
  title: string;
  column: string;
  entries: Array<{ key: string; value: string }>;
}

function Overview({ source, detail, onFilter, onAddColumn }: OverviewProps) {
  const { prefs } = usePrefs();
  const [find, setFind] = useState('');
  const { row, columns } = detail;
  const types = new Map(columns.map((c) => [c.name, c.type]));

  const shownTime = sourceRole(source, 'displayed_timestamp') ?? sourceRole(source, 'timestamp');
  const time = shownTime !== undefined && shownTime in row ? row[shownTime] : undefined;
  const service = roleValue(source, row, 'service');
  const severity = roleValue(source, row, source.kind === 'trace' ? 'status_code' : 'severity');
  const text = source.kind === 'trace' ? roleValue(source, row, 'span_name') : roleValue(source, row, 'body');
  const statusMessage = source.kind === 'trace' ? roleValue(source, row, 'status_message') : undefined;
  const durationColumn = sourceRole(source, 'duration');
  const precision = Number((source as SourceWithColumns).columns?.duration_precision ?? 9);
  const rawDuration = durationColumn !== undefined ? Number(row[durationColumn]) : Number.NaN;
  const durationMs = Number.isFinite(rawDuration) ? rawDuration / 10 ** ((Number.isFinite(precision) ? precision : 9) - 3) : null;

  const groups = useMemo(() => {
    const resource = sourceRole(source, 'resource_attributes');
    const event = sourceRole(source, 'event_attributes');
    const found: Group[] = [];
    const scalars: Group = { title: 'Columns', column: '', entries: [] };
    for (const column of columns) {
      const value = row[column.name];
      if (isMap(value)) {
        const title =
          column.name === event
            ? source.kind === 'trace'
              ? 'Span attributes'
              : 'Log attributes'
            : column.name === resource
              ? 'Resource attributes'
              : column.name;
        const entries = Object.keys(value)
          .sort()
          .map((key) => ({ key, value: formatCell(value[key]) }));
        found.push({ title, column: column.name, entries });
      } else {
        const shown = isTimeType(column.type) ? formatInstant(value, prefs, { ms: true }) : formatCell(value);
        scalars.entries.push({ key: column.name, value: shown });
      }
    }
    const rank = (g: Group) => (g.column === event ? 0 : g.column === resource ? 1 : 2);
    found.sort((a, b) => rank(a) - rank(b));
    return [...found, scalars];
  }, [source, columns, row, prefs]);

  const needle = find.trim().toLowerCase();
  return (
    <div className="panel-overview">
      <dl className="panel-top">
        {time !== undefined && (
          <>
            <dt>Time</dt>
            <dd>{formatInstant(time, prefs, { ms: true })}</dd>
          </>
        )}
        {service !== undefined && (
          <>
            <dt>Service</dt>
            <dd>{service || '—'}</dd>
          </>
        )}
        {severity !== undefined && (
          <>
            <dt>{source.kind === 'trace' ? 'Status' : 'Severity'}</dt>
            <dd>
              <span className={/err|fatal|crit/i.test(severity) ? 'panel-badge panel-badge-error' : 'panel-badge'}>
                {severity || '—'}
              </span>
              {statusMessage ? <span className="muted"> {statusMessage}</span> : null}
            </dd>
          </>
        )}
        {durationMs !== null && (
          <>
            <dt>Duration</dt>
            <dd>{formatDuration(durationMs)}</dd>
          </>
        )}
      </dl>
      {text !== undefined && text !== '' && <pre className="panel-body-text">{text}</pre>}
      <input
        type="search"
        className="panel-find"
        aria-label="Find a field"
        placeholder="Find a field or value…"
        value={find}
        onChange={(event) => setFind(event.target.value)}
      />
      {groups.map((group) => {
        const entries = group.entries.filter(
          (e) => needle === '' || e.key.toLowerCase().includes(needle) || e.value.toLowerCase().includes(needle),
        );
        const role = group.title.endsWith('attributes');
        if (entries.length === 0 && (needle !== '' || group.column === '' || !role)) return null;
        return (
          <section key={group.title} className="panel-group" aria-label={group.title}>
            <h3>
              {group.title} <span className="muted">{group.entries.length}</span>
            </h3>
            {entries.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <table className="panel-fields">
                <tbody>
                  {entries.map((entry) => (
                    <FieldRow
                      key={entry.key}
                      label={entry.key}
                      value={entry.value}
                      field={
                        group.column !== ''
                          ? rowField(source as SourceWithColumns, group.column, entry.key)
                          : filterable(row[entry.key], types.get(entry.key))
                            ? rowField(source as SourceWithColumns, entry.key)
                            : null
                      }
                      onFilter={onFilter}
                      column={group.column !== '' ? mapColumn(group.column, entry.key) : entry.key}
                      onAddColumn={onAddColumn}
                    />
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </div>
  );
}

/** Whether a column's value can be a `field:"value"` filter: text, numbers, bools; not times or arrays. */
function filterable(value: unknown, type: string | undefined): boolean {
  if (type !== undefined && isTimeType(type)) return false;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function FieldRow({
  label,
  value,
  field,
  onFilter,
  column,
  onAddColumn,
}: {
  label: string;
  value: string;
  field: string | null;
  onFilter: RowPanelProps['onFilter'];
  column: string;
  onAddColumn: RowPanelProps['onAddColumn'];
}) {
  return (
    <tr>
      <th scope="row" title={field ?? label}>
        {label}
      </th>
      <td className="panel-value">{value === '' ? <span className="muted">(empty)</span> : value}</td>
      <td className="panel-actions">
        {field !== null && (
          <>
            <button
              type="button"
              className="panel-action"
              aria-label={`Filter ${label}`}
              title={`Show only rows where ${field} is this value`}
              onClick={() => onFilter(field, value, false)}
            >
              +
            </button>
            <button
              type="button"
              className="panel-action"
              aria-label={`Exclude ${label}`}
              title={`Hide rows where ${field} is this value`}
              onClick={() => onFilter(field, value, true)}
            >
              −
            </button>
          </>
        )}
        {onAddColumn && (
          <button
            type="button"
            className="panel-action"
            aria-label={`Add column ${label}`}
            title="Show this field as a column of the results"
            onClick={() => onAddColumn(column)}
          >
            ▥
          </button>
        )}
      </td>
    </tr>
  );
}

// --- JSON ------------------------------------------------------------------------------------------------

function RawJson({ row }: { row: Record<string, unknown> }) {
  const text = useMemo(() => JSON.stringify(row, null, 2), [row]);
  return (
    <div className="panel-json">
      <div className="panel-json-bar">
        <CopyButton text={text} label="Copy JSON" />
      </div>
      <pre>{text}</pre>
    </div>
  );
}

// --- context ---------------------------------------------------------------------------------------------

const MATCHES: Array<[string, ContextMatch[], string]> = [
  ['service', ['service'], 'Same service'],
  ['trace', ['trace'], 'Same trace'],
  ['pod', ['pod'], 'Same pod'],
  ['any', [], 'Any service'],
];

function Context({ source, rowId }: { source: Source; rowId: string }) {
  const { prefs } = usePrefs();
  const [match, setMatch] = useState('service');
  const [count, setCount] = useState(10);
  const [state, setState] = useState<Load<ContextAnswer>>({ kind: 'loading' });
  const anchor = useRef<HTMLTableRowElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setState({ kind: 'loading' });
    const chosen = MATCHES.find(([key]) => key === match)?.[1] ?? [];
    traceApi.context({ source_id: source.id, row_id: rowId, count, match: chosen, window: '1h' }, controller.signal).then(
      (value) => setState({ kind: 'ready', value }),
      (err: unknown) => {
        const message = failure(err);
        if (message !== null) setState({ kind: 'error', message });
      },
    );
    return () => controller.abort();
  }, [source.id, rowId, match, count]);

  useEffect(() => {
    if (state.kind === 'ready') anchor.current?.scrollIntoView({ block: 'center' });
  }, [state]);

  const cell = (column: Column, value: unknown) =>
    isTimeType(column.type) ? formatInstant(value, prefs, { date: false, ms: true }) : formatCell(value);

  return (
    <div className="panel-context">
      <div className="panel-context-bar">
        <label>
          Neighbours from{' '}
          <select value={match} onChange={(event) => setMatch(event.target.value)}>
            {MATCHES.map(([key, , label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rows each side{' '}
          <select value={count} onChange={(event) => setCount(Number(event.target.value))}>
            {[5, 10, 25, 50].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.kind === 'loading' && <Loading what="surrounding rows" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.rows.length <= 1 && (
        <p className="muted">No other rows within an hour of this one{match === 'any' ? '' : ' share its ' + match}.</p>
      )}
      {state.kind === 'ready' && state.value.rows.length > 0 && (
        <div className="panel-context-wrap">
          <table className="panel-context-table">
            <thead>
              <tr>
                {state.value.columns.map((column) => (
                  <th key={column.name} scope="col">
                    {column.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {state.value.rows.map((r, index) => {
                const here = index === state.value.anchor;
                return (
                  <tr key={r.id} ref={here ? anchor : undefined} className={here ? 'panel-anchor' : undefined} aria-current={here ? 'true' : undefined}>
                    {state.value.columns.map((column, i) => (
                      <td key={column.name}>{cell(column, r.values[i])}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// --- trace -----------------------------------------------------------------------------------------------

function RowTrace({ source, row, traceId }: { source: Source; row: Record<string, unknown>; traceId: string }) {
  const [sources, setSources] = useState<Load<Source[]>>(
    source.kind === 'trace' ? { kind: 'ready', value: [source] } : { kind: 'loading' },
  );
  useEffect(() => {
    if (source.kind === 'trace') return;
    let live = true;
    api.sources().then(
      (all) => live && setSources({ kind: 'ready', value: all }),
      (err: unknown) => live && setSources({ kind: 'error', message: failure(err) ?? 'Sources could not be read.' }),
    );
    return () => {
      live = false;
    };
  }, [source]);

  if (sources.kind === 'loading') return <Loading what="sources" />;
  if (sources.kind === 'error') return <ErrorMessage message={sources.message} />;
  const traceSource = source.kind === 'trace' ? source : sources.value.find((s) => s.kind === 'trace');
  if (traceSource === undefined) return <p className="muted">The team has no trace source to read this trace from.</p>;
  const spanId = roleValue(source, row, 'span_id');
  return (
    <div className="panel-trace">
      <TraceView source={traceSource} traceId={traceId} initialSpan={spanId || undefined} compact />
    </div>
  );
}

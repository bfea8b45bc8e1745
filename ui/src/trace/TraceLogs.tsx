import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api';
import { ErrorMessage, Loading } from '../components';
import { quoteLucene } from '../search/filters';
import { formatCell } from '../format';
import { formatInstant, instantMs } from '../prefs';
import { usePrefs } from '../prefsContext';
import { failure, sourceRole } from '../traceApi';
import type { Row, Source } from '../types';
import { formatDuration } from './waterfall';

export interface TraceLogsProps {
  traceId: string;
  /** The trace's first span start and last span end, ISO UTC. */
  start: string;
  end: string;
  logSource: Source | undefined;
  spanIds: ReadonlySet<string>;
  selected: string | null;
  onSelectSpan: (spanId: string) => void;
}

const MARGIN_MS = 5 * 60_000; // services' clocks differ: look a little around the spans
const LIMIT = 500;
const FIELDS = ['timestamp', 'severity', 'service', 'body', 'span_id'] as const;
type LogField = (typeof FIELDS)[number];

type State =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; rows: Row[]; fields: LogField[]; more: boolean };

/** The search that finds a trace's logs: the trace id alias when the source has one, else its column. */
export function traceLogQuery(source: Source, traceId: string): string {
  const field = sourceRole(source, 'trace_id') !== undefined ? 'trace_id' : 'TraceId';
  return `${field}:${quoteLucene(traceId)}`;
}

function severityClass(severity: string): string {
  const folded = severity.toLowerCase();
  if (/fatal|crit|emerg|alert|error|err/.test(folded)) return 'trace-sev trace-sev-error';
  if (/warn/.test(folded)) return 'trace-sev trace-sev-warn';
  return 'trace-sev';
}

/** The logs that carry the trace id, oldest first, each with its offset from the trace's start. */
export function TraceLogs({ traceId, start, end, logSource, spanIds, selected, onSelectSpan }: TraceLogsProps) {
  const { prefs } = usePrefs();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [onlySelected, setOnlySelected] = useState(false);
  const startMs = instantMs(start) ?? 0;
  const endMs = instantMs(end) ?? startMs;

  useEffect(() => {
    if (logSource === undefined) return;
    const fields = FIELDS.filter((field) => field === 'timestamp' || sourceRole(logSource, field) !== undefined);
    // The displayed timestamp has the sub-second precision (the sort timestamp may be whole seconds).
    const select = fields.map((field) =>
      field === 'timestamp' ? (sourceRole(logSource, 'displayed_timestamp') ?? 'timestamp') : field,
    );
    const controller = new AbortController();
    setState({ kind: 'loading' });
    api
      .searchRows(
        {
          source_id: logSource.id,
          query: traceLogQuery(logSource, traceId),
          language: 'lucene',
          start: new Date(startMs - MARGIN_MS).toISOString(),
          end: new Date(endMs + MARGIN_MS).toISOString(),
          select,
          order: 'asc',
          limit: LIMIT,
        },
        controller.signal,
      )
      .then(
        (answer) => setState({ kind: 'ready', rows: answer.rows, fields, more: answer.next_cursor !== null }),
        (err: unknown) => {
          const message = failure(err);
          if (message !== null) setState({ kind: 'error', message });
        },
      );
    return () => controller.abort();
  }, [logSource, traceId, startMs, endMs]);

  const shown = useMemo(() => {
    if (state.kind !== 'ready') return [];
    const spanAt = state.fields.indexOf('span_id');
    return state.rows.filter((row) => !onlySelected || selected === null || row.values[spanAt] === selected);
  }, [state, onlySelected, selected]);

  if (logSource === undefined) {
    return <p className="muted">The team has no log source to look for this trace's logs in.</p>;
  }
  const searchLink = `/search?${new URLSearchParams({
    source: String(logSource.id),
    q: traceLogQuery(logSource, traceId),
    from: new Date(startMs - MARGIN_MS).toISOString(),
    to: new Date(endMs + MARGIN_MS).toISOString(),
  }).toString()}`;

  return (
    <section className="trace-logs" aria-label="Trace logs">
      <div className="trace-logs-head">
        <h2>Logs</h2>
        {state.kind === 'ready' && (
          <span className="muted">
            {state.rows.length}
            {state.more ? '+' : ''} in {logSource.name}
          </span>
        )}
        {selected !== null && (
          <label className="trace-check">
            <input type="checkbox" checked={onlySelected} onChange={(e) => setOnlySelected(e.target.checked)} /> Only the
            selected span
          </label>
        )}
        <Link to={searchLink} className="trace-open-search">
          Open in search
        </Link>
      </div>
      {state.kind === 'loading' && <Loading what="the trace's logs" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && shown.length === 0 && (
        <p className="muted">{state.rows.length === 0 ? 'No logs carry this trace id.' : 'No logs of the selected span.'}</p>
      )}
      {state.kind === 'ready' && shown.length > 0 && (
        <table className="trace-log-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Offset</th>
              {state.fields.includes('severity') && <th scope="col">Level</th>}
              {state.fields.includes('service') && <th scope="col">Service</th>}
              <th scope="col">Message</th>
              {state.fields.includes('span_id') && <th scope="col">Span</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => {
              const get = (field: LogField) => {
                const at = state.fields.indexOf(field);
                return at < 0 ? '' : formatCell(row.values[at]);
              };
              const at = instantMs(get('timestamp'));
              const spanId = get('span_id');
              return (
                <tr key={row.id} className={spanId !== '' && spanId === selected ? 'trace-log-selected' : undefined}>
                  <td className="trace-nowrap">{formatInstant(get('timestamp'), prefs, { date: false, ms: true })}</td>
                  <td className="trace-nowrap muted">{at === null ? '' : `${at < startMs ? '−' : '+'}${formatDuration(Math.abs(at - startMs))}`}</td>
                  {state.fields.includes('severity') && (
                    <td>
                      <span className={severityClass(get('severity'))}>{get('severity')}</span>
                    </td>
                  )}
                  {state.fields.includes('service') && <td className="trace-nowrap">{get('service')}</td>}
                  <td className="trace-log-body">{get('body')}</td>
                  {state.fields.includes('span_id') && (
                    <td className="trace-nowrap">
                      {spanIds.has(spanId) ? (
                        <button
                          type="button"
                          className="trace-link-button"
                          aria-label={`Select span ${spanId}`}
                          onClick={() => onSelectSpan(spanId)}
                        >
                          {spanId.slice(0, 8)}
                        </button>
                      ) : (
                        <code>{spanId.slice(0, 8)}</code>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

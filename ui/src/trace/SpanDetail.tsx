import { Link } from 'react-router-dom';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import type { TraceSpan } from '../traceApi';
import { formatDuration, type WaterfallRow } from './waterfall';

export interface SpanDetailProps {
  row: WaterfallRow<TraceSpan>;
  color: string;
  sourceId: number;
  onSelect: (spanId: string) => void;
  onClose: () => void;
  /** The parent span's name, when the parent is in the trace. */
  parentName: string | null;
}

/** Attributes as a key/value table, keys sorted; values are text. */
export function KeyValues({ values, label }: { values: Record<string, string>; label: string }) {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return <p className="muted trace-none">None.</p>;
  return (
    <table className="trace-kv" aria-label={label}>
      <tbody>
        {keys.map((key) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{values[key]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** An event's time: the API gives nanoseconds, which milliseconds since the epoch hold well enough. */
function eventInstant(ns: number): string {
  return new Date(ns / 1e6).toISOString();
}

/** Everything about one span: timing, status, attributes, resource, events and links. */
export function SpanDetail({ row, color, sourceId, onSelect, onClose, parentName }: SpanDetailProps) {
  const { prefs } = usePrefs();
  const { span } = row;
  return (
    <section className="trace-detail" aria-label="Span details">
      <header className="trace-detail-head">
        <div>
          <p className="trace-detail-service">
            <span className="trace-chip" style={{ background: color }} /> {span.service || '—'}
          </p>
          <h2 className={row.error ? 'trace-detail-name trace-error-text' : 'trace-detail-name'}>{span.name}</h2>
        </div>
        <button type="button" className="secondary small" onClick={onClose} aria-label="Close span details">
          ×
        </button>
      </header>
      {row.error && (
        <p className="trace-status-error" role="note">
          Error{span.status_message ? `: ${span.status_message}` : ''}
        </p>
      )}
      <dl className="trace-facts">
        <dt>Duration</dt>
        <dd>
          {formatDuration(span.duration_ms)}
          <span className="muted"> (own time {formatDuration(row.selfMs)})</span>
        </dd>
        <dt>Start</dt>
        <dd>
          {formatInstant(span.start, prefs, { ms: true })}
          <span className="muted"> (+{formatDuration(row.startMs)})</span>
        </dd>
        <dt>Kind</dt>
        <dd>{span.kind || '—'}</dd>
        <dt>Status</dt>
        <dd>
          {span.status_code || '—'}
          {span.status_message && !row.error ? ` — ${span.status_message}` : ''}
        </dd>
        <dt>Span id</dt>
        <dd>
          <code>{span.span_id}</code>
        </dd>
        <dt>Parent</dt>
        <dd>
          {span.parent_span_id === '' ? (
            'none (root span)'
          ) : parentName !== null ? (
            <button
              type="button"
              className="trace-link-button trace-parent-name"
              title={span.parent_span_id}
              onClick={() => onSelect(span.parent_span_id)}
            >
              {parentName || span.parent_span_id}
            </button>
          ) : (
            <>
              <code>{span.parent_span_id}</code> <span className="muted">(not in this trace)</span>
            </>
          )}
        </dd>
        {row.outsideParent && (
          <>
            <dt>Note</dt>
            <dd className="muted">Runs outside its parent's time: clock skew between hosts, or async work.</dd>
          </>
        )}
      </dl>

      <h3>Attributes</h3>
      <KeyValues values={span.attributes} label="Span attributes" />

      <h3>Events ({span.events.length})</h3>
      {span.events.length === 0 ? (
        <p className="muted trace-none">None.</p>
      ) : (
        <ol className="trace-events">
          {span.events.map((event, index) => (
            <li key={index} className={event.name === 'exception' ? 'trace-event trace-event-error' : 'trace-event'}>
              <p className="trace-event-head">
                <strong>{event.name}</strong>
                <span className="muted">
                  {' '}
                  +{formatDuration(event.offset_ms - span.offset_ms)} into the span ·{' '}
                  {formatInstant(eventInstant(event.timestamp_ns), prefs, { ms: true })}
                </span>
              </p>
              {Object.keys(event.attributes).length > 0 && (
                <KeyValues values={event.attributes} label={`Attributes of event ${event.name}`} />
              )}
            </li>
          ))}
        </ol>
      )}

      <h3>Links ({span.links.length})</h3>
      {span.links.length === 0 ? (
        <p className="muted trace-none">None.</p>
      ) : (
        <ul className="trace-links">
          {span.links.map((link, index) => (
            <li key={index}>
              <p>
                Trace{' '}
                <Link to={`/trace/${encodeURIComponent(link.trace_id)}?source=${sourceId}`}>
                  <code>{link.trace_id}</code>
                </Link>
                , span <code>{link.span_id}</code>
                {link.trace_state && <span className="muted"> · state {link.trace_state}</span>}
              </p>
              {Object.keys(link.attributes).length > 0 && (
                <KeyValues values={link.attributes} label={`Attributes of link ${index + 1}`} />
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>Resource</h3>
      <KeyValues values={span.resource_attributes} label="Resource attributes" />
    </section>
  );
}

import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api';
import { ErrorMessage, Loading } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { failure, traceApi, type TraceAnswer } from '../traceApi';
import type { Source } from '../types';
import { serviceColors } from './colors';
import { SpanDetail } from './SpanDetail';
import { TraceLogs } from './TraceLogs';
import { Waterfall } from './Waterfall';
import { formatDuration, layoutWaterfall } from './waterfall';

export interface TraceViewProps {
  source: Source;
  traceId: string;
  /** Where to look for the trace's logs; none: no logs section. */
  logSource?: Source;
  /** A span to select once the trace is loaded (the span a side panel was opened on). */
  initialSpan?: string;
  /** In the side panel: details under the waterfall, no logs, a link to the full page. */
  compact?: boolean;
}

type State =
  | { kind: 'loading' }
  | { kind: 'error'; message: string; notFound: boolean }
  | { kind: 'ready'; trace: TraceAnswer };

/** A whole trace: summary, waterfall, the selected span's details and the trace's logs. */
export function TraceView({ source, traceId, logSource, initialSpan, compact = false }: TraceViewProps) {
  const { prefs } = usePrefs();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [selected, setSelected] = useState<string | null>(initialSpan ?? null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState({ kind: 'loading' });
    traceApi.trace(source.id, traceId, controller.signal).then(
      (trace) => setState({ kind: 'ready', trace }),
      (err: unknown) => {
        const message = failure(err);
        if (message !== null) {
          setState({ kind: 'error', message, notFound: err instanceof ApiError && err.status === 404 });
        }
      },
    );
    return () => controller.abort();
  }, [source.id, traceId, attempt]);

  useEffect(() => setSelected(initialSpan ?? null), [traceId, initialSpan]);

  const trace = state.kind === 'ready' ? state.trace : null;
  const layout = useMemo(() => layoutWaterfall(trace?.spans ?? []), [trace]);
  const colors = useMemo(() => serviceColors(trace?.services ?? []), [trace]);
  const spanIds = useMemo(() => new Set(layout.rows.map((row) => row.span.span_id)), [layout]);

  if (state.kind === 'loading') return <Loading what="the trace" />;
  if (state.kind === 'error') {
    return (
      <div className="trace-problem">
        <ErrorMessage message={state.message} />
        {state.notFound && (
          <p className="muted">Spans can take a few seconds to arrive after they are sent; the trace may also have expired.</p>
        )}
        <button type="button" className="secondary small" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  const answer = state.trace;
  const selectedRow = layout.rows.find((row) => row.span.span_id === selected);
  const end = new Date(new Date(answer.start).getTime() + answer.duration_ms).toISOString();

  return (
    <div className={compact ? 'trace-view trace-compact' : 'trace-view'}>
      <div className="trace-summary" data-testid="trace-summary">
        <span>
          <strong>{answer.span_count}</strong> spans
        </span>
        <span>
          <strong>{formatDuration(answer.duration_ms)}</strong>
        </span>
        <span>started {formatInstant(answer.start, prefs, { ms: true })}</span>
        {answer.error_count > 0 && (
          <span className="trace-error-text">
            <strong>{answer.error_count}</strong> {answer.error_count === 1 ? 'error' : 'errors'}
          </span>
        )}
        {answer.truncated && <span className="trace-warn-text">only the first {answer.span_count} spans are shown</span>}
        {compact && (
          <Link to={`/trace/${encodeURIComponent(answer.trace_id)}?source=${source.id}`}>Open the trace page</Link>
        )}
      </div>
      <ul className="trace-legend" aria-label="Services">
        {answer.services.map((service) => (
          <li key={service}>
            <span className="trace-chip" style={{ background: colors.get(service) }} /> {service || '(no service)'}
          </li>
        ))}
      </ul>
      <div className={selectedRow && !compact ? 'trace-main trace-main-split' : 'trace-main'}>
        <Waterfall layout={layout} colors={colors} selected={selected} onSelect={setSelected} />
        {selectedRow ? (
          <SpanDetail
            row={selectedRow}
            color={colors.get(selectedRow.span.service) ?? 'var(--muted)'}
            sourceId={source.id}
            onSelect={setSelected}
            onClose={() => setSelected(null)}
            parentName={
              spanIds.has(selectedRow.span.parent_span_id)
                ? (layout.rows.find((r) => r.span.span_id === selectedRow.span.parent_span_id)?.span.name ?? '')
                : null
            }
          />
        ) : (
          !compact && <p className="muted trace-hint">Select a span to see its attributes, events and links.</p>
        )}
      </div>
      {!compact && (
        <TraceLogs
          traceId={answer.trace_id}
          start={answer.start}
          end={end}
          logSource={logSource}
          spanIds={spanIds}
          selected={selected}
          onSelectSpan={setSelected}
        />
      )}
    </div>
  );
}

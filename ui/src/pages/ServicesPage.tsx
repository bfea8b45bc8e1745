/**
 * Services from the trace data: per service, requests, errors and latency percentiles (RED); a chosen
 * service shows them over time and its operations.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { Chart } from '../charts/Chart';
import { percentOf, formatMs, formatPercent, formatValue, type PlotData } from '../charts/series';
import {
  ERRORS,
  formatRate,
  operationsRequest,
  quoted,
  serviceRequest,
  serviceRows,
  servicesRequest,
  type ServiceRow,
  type SpanScope,
} from '../charts/services';
import { useSources } from '../charts/useSources';
import { chartsApi, type ChartAnswer, type SeriesRequest } from '../chartsApi';
import { ErrorMessage, Loading } from '../components';
import { TimePicker } from '../search/TimePicker';
import { CHART_TIME, setTimeParams, specWindow, timeFromParams, type TimeSpec, type TimeWindow } from '../time';
import type { Source } from '../types';
import '../styles/charts.css';

const TRACE_KINDS = new Set(['trace']);

type Answer = { kind: 'loading'; previous: ChartAnswer | null } | { kind: 'error'; message: string } | { kind: 'ready'; answer: ChartAnswer };

function useAnswer(body: SeriesRequest | null): Answer {
  const [state, setState] = useState<Answer>({ kind: 'loading', previous: null });
  const key = body ? JSON.stringify(body) : '';
  useEffect(() => {
    if (!key) return;
    const abort = new AbortController();
    setState((old) => ({ kind: 'loading', previous: old.kind === 'ready' ? old.answer : null }));
    chartsApi.series(JSON.parse(key) as SeriesRequest, abort.signal).then(
      (answer) => setState({ kind: 'ready', answer }),
      (err: unknown) => {
        if (!abort.signal.aborted) setState({ kind: 'error', message: err instanceof ApiError || err instanceof Error ? err.message : String(err) });
      },
    );
    return () => abort.abort();
  }, [key]);
  return state;
}

interface View {
  source: number | null;
  service: string | null;
  scope: SpanScope;
  time: TimeSpec;
}

function parseView(params: URLSearchParams): View {
  const source = Number(params.get('source'));
  return {
    source: Number.isInteger(source) && source > 0 ? source : null,
    service: params.get('service'),
    scope: params.get('spans') === 'all' ? 'all' : 'entry',
    time: timeFromParams(params, CHART_TIME),
  };
}

function viewParams(view: View): URLSearchParams {
  const params = new URLSearchParams();
  if (view.source !== null) params.set('source', String(view.source));
  if (view.service !== null) params.set('service', view.service);
  if (view.scope === 'all') params.set('spans', 'all');
  setTimeParams(params, view.time, CHART_TIME);
  return params;
}

export function ServicesPage() {
  const sources = useSources(TRACE_KINDS);
  return (
    <section className="page svc-page">
      {sources.kind === 'loading' && (
        <>
          <h1>Services</h1>
          <Loading what="sources" />
        </>
      )}
      {sources.kind === 'error' && (
        <>
          <h1>Services</h1>
          <ErrorMessage message={sources.message} />
        </>
      )}
      {sources.kind === 'ready' &&
        (sources.sources.length === 0 ? (
          <>
            <h1>Services</h1>
            <div className="empty">
              <p>There is no trace source: services come from spans.</p>
              <p className="muted">
                An admin can add one in <Link to="/team">Team settings</Link>.
              </p>
            </div>
          </>
        ) : (
          <Services sources={sources.sources} />
        ))}
    </section>
  );
}

function Services({ sources }: { sources: Source[] }) {
  const [params, setParams] = useSearchParams();
  const view = useMemo(() => parseView(params), [params]);
  const source = sources.find((s) => s.id === view.source) ?? sources[0];
  const [tick, setTick] = useState(0);
  const window = useMemo(() => specWindow(view.time), [view.time, tick]);
  const set = (change: Partial<View>) => setParams(viewParams({ ...view, ...change }));
  const sourceId = source?.id ?? 0;

  return (
    <>
      <div className="dash-head">
        {view.service === null ? (
          <h1>Services</h1>
        ) : (
          <h1>
            <Link to={{ search: viewParams({ ...view, service: null }).toString() }} className="svc-back">
              Services
            </Link>{' '}
            / {view.service}
          </h1>
        )}
        <span className="chart-toolbar-gap" />
        {sources.length > 1 && (
          <select aria-label="Trace source" value={sourceId} onChange={(e) => set({ source: Number(e.target.value) })}>
            {sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
        <select
          aria-label="Spans"
          value={view.scope}
          onChange={(e) => set({ scope: e.target.value === 'all' ? 'all' : 'entry' })}
          title="Requests are the spans that enter a service: server and consumer spans"
        >
          <option value="entry">Server and consumer spans</option>
          <option value="all">All spans</option>
        </select>
        <TimePicker value={view.time} onChange={(time) => set({ time })} />
        <button type="button" className="secondary" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
      </div>
      {view.service === null ? (
        <ServiceList
          sourceId={sourceId}
          window={window}
          scope={view.scope}
          linkTo={(service) => viewParams({ ...view, service }).toString()}
          onAllSpans={() => set({ scope: 'all' })}
        />
      ) : (
        <ServiceDetail
          sourceId={sourceId}
          window={window}
          scope={view.scope}
          service={view.service}
          onZoom={(time) => set({ time })}
        />
      )}
    </>
  );
}

type Column = { key: keyof ServiceRow; label: string; format: (row: ServiceRow) => string; numeric: boolean };

const COLUMNS: Column[] = [
  { key: 'name', label: 'Service', format: (r) => r.name || '(no name)', numeric: false },
  { key: 'requests', label: 'Requests', format: (r) => formatValue(r.requests), numeric: true },
  { key: 'rate', label: 'Rate', format: (r) => formatRate(r.rate), numeric: true },
  { key: 'errors', label: 'Errors', format: (r) => formatValue(r.errors), numeric: true },
  { key: 'errorRate', label: 'Error rate', format: (r) => formatPercent(r.errorRate), numeric: true },
  { key: 'p50', label: 'p50', format: (r) => formatMs(r.p50), numeric: true },
  { key: 'p95', label: 'p95', format: (r) => formatMs(r.p95), numeric: true },
  { key: 'p99', label: 'p99', format: (r) => formatMs(r.p99), numeric: true },
];

function sortRows(rows: ServiceRow[], key: keyof ServiceRow, descending: boolean): ServiceRow[] {
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const order =
      typeof x === 'string' || typeof y === 'string'
        ? String(x).localeCompare(String(y))
        : (x ?? -Infinity) - (y ?? -Infinity);
    return descending ? -order : order;
  });
}

function RowsTable({
  rows,
  label,
  first,
  link,
}: {
  rows: ServiceRow[];
  label: string;
  first: string;
  link?: (name: string) => string;
}) {
  const [sort, setSort] = useState<{ key: keyof ServiceRow; descending: boolean }>({ key: 'requests', descending: true });
  const sorted = useMemo(() => sortRows(rows, sort.key, sort.descending), [rows, sort]);
  return (
    <div className="table-wrap">
      <table className="svc-table" aria-label={label}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                className={c.numeric ? 'chart-num' : undefined}
                aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              >
                <button
                  type="button"
                  className="chart-sort"
                  onClick={() => setSort((old) => ({ key: c.key, descending: old.key === c.key ? !old.descending : c.numeric }))}
                >
                  {c.key === 'name' ? first : c.label}
                  {sort.key === c.key ? (sort.descending ? ' ↓' : ' ↑') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={row.name} data-testid="service-row">
              {COLUMNS.map((c) => (
                <td
                  key={c.key}
                  className={`${c.numeric ? 'chart-num' : ''}${c.key === 'errorRate' && row.errorRate > 0 ? ' svc-bad' : ''}`}
                  data-column={c.key}
                >
                  {c.key === 'name' && link ? <Link to={{ search: link(row.name) }}>{c.format(row)}</Link> : c.format(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ServiceList({
  sourceId,
  window,
  scope,
  linkTo,
  onAllSpans,
}: {
  sourceId: number;
  window: TimeWindow;
  scope: SpanScope;
  linkTo: (service: string) => string;
  onAllSpans: () => void;
}) {
  const body = useMemo(() => servicesRequest(sourceId, window, scope), [sourceId, window, scope]);
  const answer = useAnswer(body);
  const current = answer.kind === 'ready' ? answer.answer : answer.kind === 'loading' ? answer.previous : null;
  const rows = useMemo(() => (current ? serviceRows(current, window) : []), [current, window]);
  if (answer.kind === 'error') return <ErrorMessage message={answer.message} />;
  if (!current) return <Loading what="services" />;
  if (rows.length === 0) {
    return (
      <div className="empty">
        <p>No {scope === 'entry' ? 'server or consumer ' : ''}spans in this time range.</p>
        {scope === 'entry' ? (
          <p>
            <button type="button" className="secondary small" onClick={onAllSpans}>
              Count all spans instead
            </button>
          </p>
        ) : (
          <p className="muted">
            Send traces with OpenTelemetry (see <Link to="/getting-started">Send data</Link>) or choose a longer range.
          </p>
        )}
      </div>
    );
  }
  return (
    <>
      {answer.kind === 'loading' && (
        <span className="chart-refreshing" role="status">
          Updating…
        </span>
      )}
      <RowsTable rows={rows} label="Services" first="Service" link={linkTo} />
      {current.series[0]?.groups_dropped && <p className="muted small-print">Only the 100 busiest services are shown.</p>}
    </>
  );
}

function plot(answer: ChartAnswer, pick: (labels: string[]) => { label: string; values: (number | null)[]; total: number | null }[]): PlotData {
  return {
    x: answer.buckets.map((b) => Math.floor(Date.parse(b) / 1000)),
    bucketSeconds: answer.bucket_seconds,
    series: pick(answer.series.map((s) => s.label)),
  };
}

function seriesOf(answer: ChartAnswer, label: string) {
  return answer.series.find((s) => s.label === label)?.groups[0];
}

function ServiceDetail({
  sourceId,
  window,
  scope,
  service,
  onZoom,
}: {
  sourceId: number;
  window: TimeWindow;
  scope: SpanScope;
  service: string;
  onZoom: (time: TimeSpec) => void;
}) {
  const body = useMemo(() => serviceRequest(sourceId, window, scope, service), [sourceId, window, scope, service]);
  const operationsBody = useMemo(
    () => operationsRequest(sourceId, window, scope, service),
    [sourceId, window, scope, service],
  );
  const answer = useAnswer(body);
  const operations = useAnswer(operationsBody);
  const current = answer.kind === 'ready' ? answer.answer : answer.kind === 'loading' ? answer.previous : null;

  const charts = useMemo(() => {
    if (!current) return null;
    const requests = seriesOf(current, 'Requests');
    const errors = seriesOf(current, 'Errors');
    const count = requests?.values ?? [];
    const seconds = Math.max(1, (Date.parse(window.end) - Date.parse(window.start)) / 1000);
    return {
      summary: {
        requests: requests?.total ?? 0,
        rate: (requests?.total ?? 0) / seconds,
        errors: errors?.total ?? 0,
        errorRate: requests?.total ? ((errors?.total ?? 0) / requests.total) * 100 : 0,
        p50: seriesOf(current, 'p50')?.total ?? null,
        p95: seriesOf(current, 'p95')?.total ?? null,
        p99: seriesOf(current, 'p99')?.total ?? null,
      },
      requests: plot(current, () => [
        { label: 'Requests', values: count, total: requests?.total ?? null },
        { label: 'Errors', values: errors?.values ?? [], total: errors?.total ?? null },
      ]),
      errorRate: plot(current, () => [
        { label: 'Error rate', values: percentOf(errors?.values ?? [], count), total: null },
      ]),
      latency: plot(current, () =>
        ['p50', 'p95', 'p99'].map((p) => {
          const s = seriesOf(current, p);
          return { label: p, values: s?.values ?? [], total: s?.total ?? null };
        }),
      ),
    };
  }, [current, window]);

  const operationRows = useMemo(
    () => (operations.kind === 'ready' ? serviceRows(operations.answer, window) : []),
    [operations, window],
  );

  if (answer.kind === 'error') return <ErrorMessage message={answer.message} />;
  if (!current || !charts) return <Loading what="the service" />;
  const { summary } = charts;
  if (summary.requests === 0) {
    return (
      <div className="empty">
        <p>No {scope === 'entry' ? 'server or consumer ' : ''}spans of {service} in this time range.</p>
      </div>
    );
  }
  const spans = `ServiceName:${quoted(service)}`;
  return (
    <>
      <p className="svc-links">
        <Link to={`/search?${new URLSearchParams({ source: String(sourceId), q: spans })}`}>Search its spans</Link>
        <Link to={`/search?${new URLSearchParams({ source: String(sourceId), q: `${spans} ${ERRORS}` })}`}>
          Search its errors
        </Link>
      </p>
      <dl className="svc-summary" aria-label="Summary">
        <div>
          <dt>Requests</dt>
          <dd data-testid="svc-requests">{formatValue(summary.requests)}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{formatRate(summary.rate)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd className={summary.errors > 0 ? 'svc-bad' : undefined}>
            {formatValue(summary.errors)} ({formatPercent(summary.errorRate)})
          </dd>
        </div>
        <div>
          <dt>p50</dt>
          <dd>{formatMs(summary.p50)}</dd>
        </div>
        <div>
          <dt>p95</dt>
          <dd>{formatMs(summary.p95)}</dd>
        </div>
        <div>
          <dt>p99</dt>
          <dd>{formatMs(summary.p99)}</dd>
        </div>
      </dl>
      <div className="svc-charts">
        <section className="svc-chart" aria-label="Requests over time">
          <h2>Requests and errors</h2>
          <div className="chart-panel svc-chart-body">
            <Chart data={charts.requests} display="bar" stacked={false} label="Requests and errors over time" onZoom={onZoom} legend="compact" />
          </div>
        </section>
        <section className="svc-chart" aria-label="Error rate over time">
          <h2>Error rate</h2>
          <div className="chart-panel svc-chart-body">
            <Chart data={charts.errorRate} display="line" label="Error rate over time" format={formatPercent} onZoom={onZoom} legend="none" />
          </div>
        </section>
        <section className="svc-chart" aria-label="Latency over time">
          <h2>Latency</h2>
          <div className="chart-panel svc-chart-body">
            <Chart data={charts.latency} display="line" label="Latency percentiles over time" format={formatMs} onZoom={onZoom} legend="compact" />
          </div>
        </section>
      </div>
      <h2>Operations</h2>
      {operations.kind === 'error' && <ErrorMessage message={operations.message} />}
      {operations.kind === 'loading' && operationRows.length === 0 && <Loading what="operations" />}
      {operations.kind === 'ready' && operationRows.length === 0 && <p className="muted">No operations.</p>}
      {operationRows.length > 0 && <RowsTable rows={operationRows} label="Operations" first="Operation" />}
    </>
  );
}

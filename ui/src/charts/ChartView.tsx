/** A chart fetched and shown: loading, the server's error, "no data", or the line/bar/number/table. */
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api';
import { chartsApi, metricsApi, type ChartAnswer, type ChartDef, type MetricRequest, type SeriesRequest } from '../chartsApi';
import { ErrorMessage, Loading } from '../components';
import { Chart } from './Chart';
import type { TimeSpec, TimeWindow } from '../time';
import { chartProblem, defaultTitle, seriesLabel, toSeriesRequest } from './chartState';
import { NumberTile } from './NumberTile';
import { chartUnit, isMetricChart, joinMetricAnswers, metricErrorField, toMetricRequests, unitFormat } from './metricState';
import { useMetricNames } from './MetricSeriesFields';
import { formatMs, formatValue, headline, isEmpty, toPlotData } from './series';
import { TableTile } from './TableTile';

export type ChartData =
  | { kind: 'idle' }
  | { kind: 'loading'; previous: ChartAnswer | null }
  | { kind: 'error'; error: ApiError }
  | { kind: 'ready'; answer: ChartAnswer };

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, err instanceof Error ? err.message : String(err));
}

/** What to ask for: one chart request, or one metric request per series (with the series' labels). */
type Plan = { kind: 'events'; request: SeriesRequest } | { kind: 'metrics'; chart: ChartDef; requests: MetricRequest[] };

function planOf(chart: ChartDef, window: TimeWindow): Plan {
  if (isMetricChart(chart)) return { kind: 'metrics', chart, requests: toMetricRequests(chart, window) };
  return { kind: 'events', request: toSeriesRequest(chart, window) };
}

/** A metric chart's series asked for together; an error names the form field of the series it came from. */
async function metricChart(chart: ChartDef, requests: MetricRequest[], signal: AbortSignal): Promise<ChartAnswer> {
  const answers = await Promise.all(
    requests.map((request, index) =>
      metricsApi.series(request, signal).catch((err: unknown) => {
        if (!(err instanceof ApiError)) throw err;
        throw new ApiError(err.status, err.message, err.code, metricErrorField(err.field, index), err.position);
      }),
    ),
  );
  return joinMetricAnswers(chart, answers, chart.series.map(seriesLabel));
}

/** The answer for a chart over a window, asked again when either changes or `reload` does. */
export function useChartData(chart: ChartDef, window: TimeWindow, reload = 0): ChartData {
  const [data, setData] = useState<ChartData>({ kind: 'idle' });
  const body = useMemo(() => JSON.stringify(planOf(chart, window)), [chart, window]);
  const problem = chart.display === 'markdown' ? { field: 'display', message: 'Text has no data.' } : chartProblem(chart);
  useEffect(() => {
    if (problem) {
      setData({ kind: 'idle' });
      return;
    }
    const abort = new AbortController();
    // Keep the last answer on screen while the next one loads (an auto refresh does not blink).
    setData((old) => ({ kind: 'loading', previous: old.kind === 'ready' ? old.answer : old.kind === 'loading' ? old.previous : null }));
    const plan = JSON.parse(body) as Plan;
    const asked =
      plan.kind === 'metrics'
        ? metricChart(plan.chart, plan.requests, abort.signal)
        : chartsApi.series(plan.request, abort.signal);
    asked.then(
      (answer) => setData({ kind: 'ready', answer }),
      (err: unknown) => {
        if (!abort.signal.aborted) setData({ kind: 'error', error: asApiError(err) });
      },
    );
    return () => abort.abort();
    // `problem` is derived from the chart, which `body` already follows.
  }, [body, reload, problem === null]);
  return data;
}

export interface ChartViewProps {
  chart: ChartDef;
  data: ChartData;
  onZoom?: (spec: TimeSpec) => void;
  legend?: 'full' | 'compact' | 'none';
  /** Where an error goes: shown here (default), or left to the caller (the explorer's form). */
  showErrors?: boolean;
  title?: string;
}

export function ChartView({ chart, data, onZoom, legend = 'full', showErrors = true, title }: ChartViewProps) {
  const answer = data.kind === 'ready' ? data.answer : data.kind === 'loading' ? data.previous : null;
  const plot = useMemo(() => (answer ? toPlotData(answer) : null), [answer]);
  const label = title || defaultTitle(chart);
  // A metric's values carry its unit (ms, By, …) on the axis, legend, tooltip, number and table.
  const metric = isMetricChart(chart);
  const names = useMetricNames(metric ? chart.source_id : null);
  const unit = metric && names.kind === 'ready' ? chartUnit(chart, names.names) : '';
  const format = useMemo(() => unitFormat(unit, formatValue, formatMs), [unit]);

  if (data.kind === 'idle') {
    const problem = chartProblem(chart);
    return <p className="muted chart-message">{problem ? problem.message : 'Nothing to show yet.'}</p>;
  }
  if (data.kind === 'error') {
    return showErrors ? (
      <div className="chart-message">
        <ErrorMessage message={data.error.message} />
      </div>
    ) : (
      <p className="muted chart-message">The chart could not be drawn: see the message above.</p>
    );
  }
  if (!answer || !plot) {
    return (
      <div className="chart-message">
        <Loading what="chart" />
      </div>
    );
  }
  const loading = data.kind === 'loading' && (
    <span className="chart-refreshing" role="status">
      Updating…
    </span>
  );
  if (chart.display === 'number') {
    return (
      <>
        {loading}
        <NumberTile
          value={headline(answer)}
          label={chart.series[0] ? seriesLabel(chart.series[0]) : label}
          format={format}
        />
      </>
    );
  }
  if (isEmpty(plot) && (chart.display === 'table' ? plot.series.length === 0 : true)) {
    return (
      <div className="chart-message chart-empty">
        {loading}
        <p>No data in this time range.</p>
        <p className="muted small-print">Try a longer range, or check the filter.</p>
      </div>
    );
  }
  if (chart.display === 'table') {
    return (
      <>
        {loading}
        <TableTile answer={answer} label={label} format={format} />
      </>
    );
  }
  const dropped = answer.series.some((s) => s.groups_dropped);
  return (
    <>
      {loading}
      <Chart
        data={plot}
        display={chart.display === 'bar' ? 'bar' : 'line'}
        format={format}
        onZoom={onZoom}
        legend={legend}
        label={label}
      />
      {dropped && legend === 'full' && (
        <p className="muted small-print chart-note">Only the 10 largest groups are shown.</p>
      )}
    </>
  );
}

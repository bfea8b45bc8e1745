/**
 * The fields of a series over a metric source: the metric (from the names the source has, with kind,
 * unit and description), its kind, an aggregation that fits the kind, and `key:value` attribute filters.
 */
import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { METRIC_KINDS, metricsApi, type MetricAttribute, type MetricKind, type MetricName, type SeriesDef } from '../chartsApi';
import {
  filterText,
  fitAggregation,
  isMetricKind,
  METRIC_AGGREGATIONS,
  metricAggregationLabel,
  METRIC_KIND_LABELS,
  unitSuffix,
  withMetric,
} from './metricState';

// Names and attributes change slowly: one request per source (and metric) a minute, shared by every form.
const TTL_MS = 60_000;
const cache = new Map<string, { at: number; promise: Promise<unknown> }>();

function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise as Promise<T>;
  const promise = load();
  cache.set(key, { at: Date.now(), promise });
  promise.catch(() => cache.delete(key));
  return promise;
}

const SINCE = '24h';

export type MetricNames = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; names: MetricName[] };

/** The metrics with points in the last day of a metric source. */
export function useMetricNames(sourceId: number | null): MetricNames {
  const [state, setState] = useState<MetricNames>({ kind: 'loading' });
  useEffect(() => {
    if (sourceId === null) return;
    let live = true;
    setState({ kind: 'loading' });
    cached(`names:${sourceId}`, () => metricsApi.names(sourceId, SINCE)).then(
      (answer) => live && setState({ kind: 'ready', names: answer.metrics }),
      (err: unknown) => live && setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [sourceId]);
  return state;
}

/** A metric's attribute keys and some values (empty until known, or when they cannot be read). */
export function useMetricAttributes(sourceId: number | null, metric: string, kind: MetricKind | null): MetricAttribute[] {
  const [attributes, setAttributes] = useState<MetricAttribute[]>([]);
  const name = metric.trim();
  useEffect(() => {
    setAttributes([]);
    if (sourceId === null || !name || kind === null) return;
    let live = true;
    cached(`attributes:${sourceId}:${kind}:${name}`, () => metricsApi.attributes(sourceId, name, kind, SINCE)).then(
      (answer) => live && setAttributes(answer.attributes),
      () => undefined, // Suggestions are a help: without them, keys can still be typed.
    );
    return () => {
      live = false;
    };
  }, [sourceId, name, kind]);
  return attributes;
}

/** The metric a series names, when the source has it (under the series' kind if it has several). */
export function knownMetric(names: MetricName[], series: SeriesDef): MetricName | undefined {
  const name = (series.field ?? '').trim();
  const same = names.filter((n) => n.name === name);
  return same.find((n) => n.kind === series.metric_kind) ?? same[0];
}

const MAX_FILTER_SUGGESTIONS = 400;

export interface MetricSeriesFieldsProps {
  id: string;
  series: SeriesDef;
  /** " (series 2)" for the accessible names of a later series. */
  suffix: string;
  sourceId: number | null;
  names: MetricNames;
  onChange: (series: SeriesDef, apply: boolean) => void;
  onEnter: (event: KeyboardEvent<HTMLInputElement>) => void;
  fieldError: string | null;
  aggregationError: string | null;
  whereError: string | null;
}

export function MetricSeriesFields({
  id,
  series,
  suffix,
  sourceId,
  names,
  onChange,
  onEnter,
  fieldError,
  aggregationError,
  whereError,
}: MetricSeriesFieldsProps) {
  const kind: MetricKind = isMetricKind(series.metric_kind) ? series.metric_kind : 'gauge';
  const list = names.kind === 'ready' ? names.names : [];
  const chartable = useMemo(() => list.filter((n) => isMetricKind(n.kind)), [list]);
  const known = knownMetric(chartable, series);
  const attributes = useMetricAttributes(sourceId, series.field ?? '', kind);
  const filterSuggestions = useMemo(
    () => attributes.flatMap((a) => a.values.map((v) => filterText(a.key, v))).slice(0, MAX_FILTER_SUGGESTIONS),
    [attributes],
  );
  const namesId = `${id}-metrics`;
  const filtersId = `${id}-filters`;
  const summary = known
    ? [METRIC_KIND_LABELS[kind], known.unit && unitSuffix(known.unit) ? `unit ${known.unit}` : '', known.description]
        .filter((part) => part !== '')
        .join(' · ')
    : null;

  function pickName(value: string) {
    const match = chartable.filter((n) => n.name === value);
    const metric = match.find((n) => n.kind === series.metric_kind) ?? match[0];
    if (metric) onChange(withMetric(series, metric), true);
    else onChange({ ...series, field: value }, false);
  }

  return (
    <>
      <datalist id={namesId}>
        {chartable.map((n) => (
          <option key={`${n.kind}:${n.name}`} value={n.name} label={`${n.kind}${n.unit ? ` · ${n.unit}` : ''}`} />
        ))}
      </datalist>
      <datalist id={filtersId}>
        {filterSuggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <div className="chart-form-row">
        <label className="chart-control chart-metric">
          <span>Metric</span>
          <input
            aria-label={`Metric${suffix}`}
            list={namesId}
            value={series.field ?? ''}
            placeholder={names.kind === 'loading' ? 'Loading metric names…' : 'Choose or type a metric name'}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={`${id}-metric-about ${id}-field-error`}
            onChange={(e) => pickName(e.target.value)}
            onKeyDown={onEnter}
          />
        </label>
        <label className="chart-control">
          <span>Kind</span>
          <select
            aria-label={`Metric kind${suffix}`}
            value={kind}
            onChange={(e) => {
              const next = e.target.value as MetricKind;
              const aggregation = fitAggregation(next, series.aggregation, known?.monotonic);
              onChange({ ...series, metric_kind: next, aggregation }, Boolean(series.field?.trim()));
            }}
          >
            {METRIC_KINDS.map((k) => (
              <option key={k} value={k}>
                {METRIC_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        <label className="chart-control">
          <span>Aggregation</span>
          <select
            aria-label={`Aggregation${suffix}`}
            value={series.aggregation}
            aria-invalid={aggregationError ? true : undefined}
            onChange={(e) =>
              onChange(
                { ...series, aggregation: e.target.value as SeriesDef['aggregation'] },
                Boolean(series.field?.trim()),
              )
            }
          >
            {METRIC_AGGREGATIONS[kind].map((a) => (
              <option key={a} value={a}>
                {metricAggregationLabel(kind, a)}
              </option>
            ))}
          </select>
        </label>
        <label className="chart-control chart-grow">
          <span>Filter</span>
          <input
            aria-label={`Filter${suffix}`}
            className="chart-mono"
            list={filtersId}
            value={series.where}
            placeholder='service.name:api http.route:"/cart"'
            spellCheck={false}
            autoComplete="off"
            aria-invalid={whereError ? true : undefined}
            aria-describedby={`${id}-where-error`}
            onChange={(e) => onChange({ ...series, where: e.target.value }, false)}
            onKeyDown={onEnter}
          />
        </label>
      </div>
      <p className="muted small-print chart-metric-about" id={`${id}-metric-about`}>
        {names.kind === 'loading'
          ? 'Listing the metrics…'
          : names.kind === 'error'
            ? `The metric names could not be listed (${names.message}); a name can still be typed.`
            : (summary ??
              (chartable.length === 0
                ? 'This source has no metric points in the last day; a name can still be typed.'
                : 'Filters are attribute key:value pairs; all must match.'))}
      </p>
    </>
  );
}

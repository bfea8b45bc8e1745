/**
 * The chart builder: source, series (aggregation, field, filter), group by, granularity and display.
 * Over a metric source a series is a metric, its kind, an aggregation that fits it and attribute filters.
 * Choices from a list apply at once; typed text applies with Enter or Run. A server error naming a field
 * shows under that field.
 */
import { useEffect, useId, useMemo, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ApiError } from '../api';
import { AGGREGATIONS, chartsApi, DISPLAYS, type ChartDef, type SeriesDef, type TileDisplay } from '../chartsApi';
import type { Source } from '../types';
import {
  DEFAULT_SERIES,
  GRANULARITIES,
  granularityLabel,
  MAX_SERIES,
  needsField,
  parseFieldList,
} from './chartState';
import { DEFAULT_METRIC_SERIES, isMetricChart, isMetricKind } from './metricState';
import { MetricSeriesFields, useMetricAttributes, useMetricNames } from './MetricSeriesFields';

export const CHARTABLE_KINDS = new Set(['log', 'trace', 'session', 'metric']);

/** The chart made to fit a source: metric series for a metric source, event series for the others. */
export function fitSource(chart: ChartDef, source: Source | undefined): ChartDef {
  const metric = source?.kind === 'metric';
  if (metric === isMetricChart(chart)) return { ...chart, source_id: source?.id ?? null };
  return { ...chart, source_id: source?.id ?? null, series: [metric ? DEFAULT_METRIC_SERIES : DEFAULT_SERIES], group_by: [] };
}

const DISPLAY_LABELS: Record<TileDisplay, string> = {
  line: 'Line',
  bar: 'Bar',
  number: 'Number',
  table: 'Table',
  markdown: 'Text',
};

const AGGREGATION_LABELS: Record<string, string> = {
  count: 'Count of rows',
  count_distinct: 'Count distinct',
  sum: 'Sum',
  avg: 'Average',
  min: 'Minimum',
  max: 'Maximum',
  p50: 'Median (p50)',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  last_value: 'Last value',
};

// Columns and aliases every source of a kind has (the default ClickStack schema); attribute keys come
// from the data itself.
const KNOWN_FIELDS: Record<string, string[]> = {
  log: ['ServiceName', 'SeverityText', 'SeverityNumber', 'Body', 'TraceId', 'SpanId', 'ScopeName', 'service', 'level', 'body'],
  trace: [
    'duration',
    'ServiceName',
    'SpanName',
    'SpanKind',
    'StatusCode',
    'StatusMessage',
    'Duration',
    'TraceId',
    'ParentSpanId',
    'ScopeName',
    'service',
    'span_name',
    'status',
  ],
  session: ['ServiceName', 'SeverityText', 'Body', 'service', 'body'],
};

/** Field names to suggest for a source: its known columns, then its attribute keys, most common first. */
function useFieldSuggestions(source: Source | undefined): string[] {
  const [keys, setKeys] = useState<string[]>([]);
  useEffect(() => {
    setKeys([]);
    if (!source || source.kind === 'metric') return; // a metric's keys come from its own attributes
    const abort = new AbortController();
    chartsApi.keys(source.id, '24h', abort.signal).then(
      (answer) => setKeys(answer.keys.map((k) => k.key)),
      () => undefined, // Suggestions are a help: without them, names can still be typed.
    );
    return () => abort.abort();
  }, [source]);
  return useMemo(() => {
    const known = source ? (KNOWN_FIELDS[source.kind] ?? []) : [];
    return [...new Set([...known, ...keys])];
  }, [source, keys]);
}

function errorFor(error: ApiError | null, field: string): string | null {
  if (!error?.field) return null;
  return error.field === field || error.field.startsWith(`${field}.`) ? error.message : null;
}

/** Whether the form shows a server error somewhere (else the caller shows it). */
export function formShowsError(error: ApiError | null, seriesCount: number): boolean {
  if (!error?.field) return false;
  const fields = ['source_id', 'group_by', 'granularity', 'where', 'markdown'];
  for (let i = 0; i < seriesCount; i++) fields.push(`series.${i}.field`, `series.${i}.where`, `series.${i}.aggregation`);
  return fields.some((f) => errorFor(error, f) !== null);
}

function FieldError({ id, message }: { id: string; message: string | null }) {
  if (!message) return null;
  return (
    <p className="error chart-field-error" id={id} role="alert">
      {message}
    </p>
  );
}

export interface ChartFormProps {
  chart: ChartDef;
  sources: Source[];
  /** `apply`: the change should run now (a choice from a list), not wait for Enter or Run. */
  onChange: (chart: ChartDef, apply: boolean) => void;
  onSubmit: () => void;
  error: ApiError | null;
  /** Offer a text tile (dashboards). */
  allowText?: boolean;
  running?: boolean;
}

export function ChartForm({ chart, sources, onChange, onSubmit, error, allowText = false, running = false }: ChartFormProps) {
  const id = useId();
  const source = sources.find((s) => s.id === chart.source_id);
  const metricSource = source?.kind === 'metric';
  const eventSuggestions = useFieldSuggestions(source);
  const metricNames = useMetricNames(metricSource ? (source?.id ?? null) : null);
  const first = chart.series[0];
  const firstKind = first && isMetricKind(first.metric_kind) ? first.metric_kind : null;
  const metricKeys = useMetricAttributes(metricSource ? (source?.id ?? null) : null, first?.field ?? '', firstKind);
  const suggestions = useMemo(
    () => (metricSource ? [...new Set(metricKeys.map((a) => a.key))] : eventSuggestions),
    [metricSource, metricKeys, eventSuggestions],
  );
  const [groupText, setGroupText] = useState(chart.group_by.join(', '));

  // The group-by box follows the chart when it changes from outside (back/forward, another tile).
  useEffect(() => {
    setGroupText((text) =>
      JSON.stringify(parseFieldList(text)) === JSON.stringify(chart.group_by) ? text : chart.group_by.join(', '),
    );
  }, [chart.group_by]);

  const displays: TileDisplay[] = allowText ? [...DISPLAYS, 'markdown'] : [...DISPLAYS];
  const text = chart.display === 'markdown';

  function setSeries(index: number, change: Partial<SeriesDef>, apply: boolean) {
    const series = chart.series.map((s, i) => (i === index ? { ...s, ...change } : s));
    onChange({ ...chart, series }, apply);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }

  function setDisplay(display: TileDisplay) {
    if (display === 'markdown') {
      onChange({ ...chart, display, markdown: chart.markdown ?? '' }, true);
    } else {
      const { markdown: _dropped, ...rest } = chart;
      const sourceId = rest.source_id ?? sources[0]?.id ?? null;
      const next = fitSource({ ...rest, display, series: rest.series.length ? rest.series : [DEFAULT_SERIES] }, sources.find((s) => s.id === sourceId));
      onChange(next, true);
    }
  }

  // Enter runs the chart even while a suggestion list is open (which would otherwise take the key).
  function runOnEnter(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter' && !event.nativeEvent.isComposing) {
      event.preventDefault();
      onSubmit();
    }
  }

  const fieldsId = `${id}-fields`;
  return (
    <form className="chart-form" onSubmit={submit} aria-label="Chart">
      <div className="chart-form-row">
        {!text && (
          <label className="chart-control">
            <span>Source</span>
            <select
              aria-label="Source"
              value={chart.source_id ?? ''}
              aria-invalid={errorFor(error, 'source_id') ? true : undefined}
              onChange={(e) => onChange(fitSource(chart, sources.find((s) => s.id === Number(e.target.value))), true)}
            >
              {chart.source_id === null && <option value="">Choose a source</option>}
              {sources.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} ({s.kind})
                </option>
              ))}
            </select>
          </label>
        )}
        <div className="chart-control">
          <span id={`${id}-display`}>Display</span>
          <div className="chart-segmented" role="group" aria-labelledby={`${id}-display`}>
            {displays.map((d) => (
              <button
                key={d}
                type="button"
                className={chart.display === d ? 'chart-seg-on' : 'secondary'}
                aria-pressed={chart.display === d}
                onClick={() => setDisplay(d)}
              >
                {DISPLAY_LABELS[d]}
              </button>
            ))}
          </div>
        </div>
        {!text && chart.display !== 'number' && chart.display !== 'table' && (
          <label className="chart-control">
            <span>Granularity</span>
            <select
              aria-label="Granularity"
              value={chart.granularity}
              aria-invalid={errorFor(error, 'granularity') ? true : undefined}
              aria-describedby={`${id}-gran-error`}
              onChange={(e) => onChange({ ...chart, granularity: e.target.value }, true)}
            >
              {(GRANULARITIES as readonly string[]).includes(chart.granularity) ? null : (
                <option value={chart.granularity}>{granularityLabel(chart.granularity)}</option>
              )}
              {GRANULARITIES.map((g) => (
                <option key={g} value={g}>
                  {granularityLabel(g)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <FieldError id={`${id}-source-error`} message={errorFor(error, 'source_id')} />
      <FieldError id={`${id}-gran-error`} message={errorFor(error, 'granularity')} />

      {text ? (
        <label className="chart-control chart-wide">
          <span>Text</span>
          <textarea
            aria-label="Text"
            rows={6}
            value={chart.markdown ?? ''}
            onChange={(e) => onChange({ ...chart, markdown: e.target.value }, false)}
          />
        </label>
      ) : (
        <>
          <datalist id={fieldsId}>
            {suggestions.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          {chart.series.map((s, i) => {
            const n = i === 0 ? '' : ` (series ${i + 1})`;
            const fieldError = errorFor(error, `series.${i}.field`) ?? errorFor(error, `series.${i}.aggregation`);
            const whereError = errorFor(error, `series.${i}.where`) ?? (i === 0 ? errorFor(error, 'where') : null);
            if (isMetricKind(s.metric_kind)) {
              const seriesId = `${id}-s${i}`;
              return (
                <fieldset key={i} className="chart-series">
                  <legend className="muted">{chart.series.length > 1 ? `Series ${i + 1}` : 'Series'}</legend>
                  <MetricSeriesFields
                    id={seriesId}
                    series={s}
                    suffix={n}
                    sourceId={source?.id ?? null}
                    names={metricNames}
                    onChange={(next, apply) => setSeries(i, next, apply)}
                    onEnter={runOnEnter}
                    fieldError={errorFor(error, `series.${i}.field`)}
                    aggregationError={errorFor(error, `series.${i}.aggregation`)}
                    whereError={whereError}
                  />
                  {chart.series.length > 1 && (
                    <div className="chart-form-row">
                      <button
                        type="button"
                        className="secondary small chart-remove"
                        aria-label={`Remove series ${i + 1}`}
                        onClick={() => onChange({ ...chart, series: chart.series.filter((_, j) => j !== i) }, true)}
                      >
                        Remove
                      </button>
                    </div>
                  )}
                  <FieldError id={`${seriesId}-field-error`} message={fieldError} />
                  <FieldError id={`${seriesId}-where-error`} message={whereError} />
                </fieldset>
              );
            }
            return (
              <fieldset key={i} className="chart-series">
                <legend className="muted">{chart.series.length > 1 ? `Series ${i + 1}` : 'Series'}</legend>
                <div className="chart-form-row">
                  <label className="chart-control">
                    <span>Aggregation</span>
                    <select
                      aria-label={`Aggregation${n}`}
                      value={s.aggregation}
                      onChange={(e) => {
                        const aggregation = e.target.value as SeriesDef['aggregation'];
                        const field = needsField(aggregation) ? (s.field ?? '') : null;
                        // Without a field yet there is nothing to run: wait for it.
                        setSeries(i, { aggregation, field }, !needsField(aggregation) || Boolean(field));
                      }}
                    >
                      {AGGREGATIONS.map((a) => (
                        <option key={a} value={a}>
                          {AGGREGATION_LABELS[a] ?? a}
                        </option>
                      ))}
                    </select>
                  </label>
                  {needsField(s.aggregation) && (
                    <label className="chart-control chart-field">
                      <span>Field</span>
                      <input
                        aria-label={`Field${n}`}
                        list={fieldsId}
                        value={s.field ?? ''}
                        placeholder={source?.kind === 'trace' ? 'duration' : 'a column or attribute'}
                        spellCheck={false}
                        aria-invalid={fieldError ? true : undefined}
                        aria-describedby={`${id}-field-${i}`}
                        onChange={(e) => setSeries(i, { field: e.target.value }, false)}
                        onKeyDown={runOnEnter}
                      />
                    </label>
                  )}
                  <label className="chart-control chart-grow">
                    <span>Filter</span>
                    <input
                      aria-label={`Filter${n}`}
                      className="chart-mono"
                      value={s.where}
                      placeholder={s.where_language === 'sql' ? "ServiceName = 'api'" : 'level:error service:api'}
                      spellCheck={false}
                      aria-invalid={whereError ? true : undefined}
                      aria-describedby={`${id}-where-${i}`}
                      onChange={(e) => setSeries(i, { where: e.target.value }, false)}
                    />
                  </label>
                  <label className="chart-control">
                    <span>Language</span>
                    <select
                      aria-label={`Filter language${n}`}
                      value={s.where_language}
                      onChange={(e) =>
                        setSeries(i, { where_language: e.target.value === 'sql' ? 'sql' : 'lucene' }, s.where !== '')
                      }
                    >
                      <option value="lucene">Search</option>
                      <option value="sql">SQL</option>
                    </select>
                  </label>
                  {chart.series.length > 1 && (
                    <button
                      type="button"
                      className="secondary small chart-remove"
                      aria-label={`Remove series ${i + 1}`}
                      onClick={() => onChange({ ...chart, series: chart.series.filter((_, j) => j !== i) }, true)}
                    >
                      Remove
                    </button>
                  )}
                </div>
                <FieldError id={`${id}-field-${i}`} message={fieldError} />
                <FieldError id={`${id}-where-${i}`} message={whereError} />
              </fieldset>
            );
          })}
          <div className="chart-form-row">
            {chart.series.length < MAX_SERIES && (
              <button
                type="button"
                className="secondary small"
                onClick={() =>
                  onChange({ ...chart, series: [...chart.series, isMetricChart(chart) ? DEFAULT_METRIC_SERIES : DEFAULT_SERIES] }, !isMetricChart(chart))
                }
              >
                Add series
              </button>
            )}
          </div>
          {chart.display !== 'number' && (
            <label className="chart-control chart-wide">
              <span>Group by</span>
              <input
                aria-label="Group by"
                list={fieldsId}
                value={groupText}
                placeholder={metricSource ? 'service.name (attributes, comma-separated, up to 5)' : 'ServiceName (comma-separated, up to 5)'}
                spellCheck={false}
                aria-invalid={errorFor(error, 'group_by') ? true : undefined}
                aria-describedby={`${id}-group-error`}
                onKeyDown={runOnEnter}
                onChange={(e) => {
                  setGroupText(e.target.value);
                  onChange({ ...chart, group_by: parseFieldList(e.target.value) }, false);
                }}
              />
            </label>
          )}
          <FieldError id={`${id}-group-error`} message={errorFor(error, 'group_by')} />
        </>
      )}
      <div className="chart-form-row">
        <button type="submit" disabled={running}>
          {running ? 'Running…' : 'Run'}
        </button>
      </div>
    </form>
  );
}

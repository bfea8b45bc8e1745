/** The chart API's answer as plot data: times, one line per series × group, gaps, stacks and totals. */
import type { ChartAnswer } from '../chartsApi';
import type { Prefs } from '../prefs';

export interface PlotSeries {
  label: string;
  /** One value per bucket; null is a gap (no data), not zero. */
  values: (number | null)[];
  /** The value over the whole range (for the legend and tables); null when unknown. */
  total: number | null;
}

export interface PlotData {
  /** Bucket starts, Unix seconds (uPlot's time scale). */
  x: number[];
  bucketSeconds: number;
  series: PlotSeries[];
}

export const EMPTY_LABEL = '(empty)';

function groupName(label: string, grouped: boolean): string {
  return grouped && label === '' ? EMPTY_LABEL : label;
}

/**
 * Plot data of an answer: with one series, each group is a line named by its group; with several,
 * "<series> · <group>". An ungrouped series is one line named by the series.
 */
export function toPlotData(answer: ChartAnswer): PlotData {
  const grouped = answer.group_by.length > 0;
  const many = answer.series.length > 1;
  const x = answer.buckets.map((b) => Math.floor(Date.parse(b) / 1000));
  const series: PlotSeries[] = [];
  for (const s of answer.series) {
    for (const g of s.groups) {
      const group = groupName(g.label, grouped);
      const label = !grouped ? s.label : many ? `${s.label} · ${group}` : group;
      const values = x.map((_, i) => {
        const v = g.values[i];
        return typeof v === 'number' && Number.isFinite(v) ? v : null;
      });
      series.push({ label, values, total: g.total });
    }
  }
  return { x, bucketSeconds: answer.bucket_seconds, series };
}

/** Whether a chart has nothing to show: no series, or no value anywhere (all gaps or all zero). */
export function isEmpty(data: PlotData): boolean {
  return data.series.every((s) => s.values.every((v) => v === null || v === 0));
}

/** Whether a line has a value with gaps on both sides: such a point only shows as a dot. */
export function hasLonePoints(values: (number | null)[]): boolean {
  return values.some((v, i) => v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null);
}

/**
 * Stacked bars: each series' bar reaches the sum of its value and the values below it. A gap stays a
 * gap (no bar) but does not break the stack of the series above.
 */
export function stack(series: (number | null)[][]): (number | null)[][] {
  const length = series[0]?.length ?? 0;
  const running = new Array<number>(length).fill(0);
  return series.map((values) =>
    values.map((v, i) => {
      if (v === null) return null;
      running[i] = (running[i] ?? 0) + v;
      return running[i] ?? null;
    }),
  );
}

/** value / base × 100 per bucket (an error rate); null where the base is zero or missing. */
export function percentOf(values: (number | null)[], base: (number | null)[]): (number | null)[] {
  return values.map((v, i) => {
    const b = base[i];
    if (b === null || b === undefined || b === 0) return null;
    return ((v ?? 0) / b) * 100;
  });
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const twoPlaces = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });
const small = new Intl.NumberFormat('en', { maximumSignificantDigits: 3 });

/** A number for a legend, tile or axis: 1.2M, 12,345, 12.35, 0.00123; "—" when there is none. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const size = Math.abs(value);
  if (size >= 100_000) return compact.format(value);
  if (size >= 100) return whole.format(value);
  if (size >= 1 || size === 0) return twoPlaces.format(value);
  return small.format(value);
}

/** A duration in milliseconds: 850 ms, 1.2 s, 3.5 min. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 60_000) return `${twoPlaces.format(value / 60_000)} min`;
  if (Math.abs(value) >= 1000) return `${twoPlaces.format(value / 1000)} s`;
  return `${formatValue(value)} ms`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value > 0 && value < 0.1 ? '<0.1' : twoPlaces.format(value)}%`;
}

const partFormats = new Map<string, Intl.DateTimeFormat>();

function parts(seconds: number, prefs: Prefs): Record<string, string> {
  const key = `${prefs.timeZone}|${prefs.hour12}`;
  let format = partFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: prefs.timeZone === 'local' ? undefined : prefs.timeZone,
      hour12: prefs.hour12,
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormats.set(key, format);
  }
  const out: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(seconds * 1000))) out[part.type] = part.value;
  if (out.hour === '24') out.hour = '00';
  return out;
}

/**
 * Labels of the time axis' ticks in the user's zone and clock: the time, with seconds when ticks are
 * less than a minute apart, and the date under the first tick and under each tick where the day changes.
 */
export function axisTimes(ticks: number[], prefs: Prefs): string[] {
  const step = ticks.length > 1 ? Math.abs((ticks[1] ?? 0) - (ticks[0] ?? 0)) : 3600;
  let previousDay = '';
  return ticks.map((t) => {
    const p = parts(t, prefs);
    const period = prefs.hour12 ? ` ${(p.dayPeriod ?? '').toLowerCase()}` : '';
    const clock = `${p.hour}:${p.minute}${step < 60 ? `:${p.second}` : ''}${period}`;
    const day = `${p.month}-${p.day}`;
    const showDay = day !== previousDay;
    previousDay = day;
    if (step >= 86_400) return day;
    return showDay ? `${clock}\n${day}` : clock;
  });
}

export interface TableRow {
  key: string;
  group: string[];
  cells: (number | null)[];
}

/** One row per group, one column per series with the group's whole-range value (groups ranked per series are joined). */
export function tableRows(answer: ChartAnswer): { columns: string[]; groupColumns: string[]; rows: TableRow[] } {
  const rows = new Map<string, TableRow>();
  answer.series.forEach((s, index) => {
    for (const g of s.groups) {
      const key = JSON.stringify(g.key);
      let row = rows.get(key);
      if (!row) {
        row = { key, group: g.key.map((k) => groupName(k, true)), cells: answer.series.map(() => null) };
        rows.set(key, row);
      }
      row.cells[index] = g.total;
    }
  });
  return { columns: answer.series.map((s) => s.label), groupColumns: answer.group_by, rows: [...rows.values()] };
}

/** The value a number tile shows: the first series' whole-range value (summed over groups for a count or sum). */
export function headline(answer: ChartAnswer): number | null {
  const first = answer.series[0];
  if (!first || first.groups.length === 0) return null;
  if (first.groups.length === 1) return first.groups[0]?.total ?? null;
  if (first.aggregation === 'count' || first.aggregation === 'sum') {
    return first.groups.reduce((sum, g) => sum + (g.total ?? 0), 0);
  }
  return first.groups[0]?.total ?? null;
}

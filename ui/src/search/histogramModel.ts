/** The search histogram's layout: series order and colours, axis ticks, and positions ↔ times. */

export interface Series {
  name: string;
  counts: number[];
}

/** Severity (logs) and span status (traces) families, in stacking order from the bottom up. */
const FAMILIES: { test: RegExp; color: string; rank: number }[] = [
  { test: /^(fatal|crit|critical|emerg|emergency|alert|panic)/i, color: '#8e1b2b', rank: 0 },
  { test: /^(err|error)/i, color: '#e5484d', rank: 1 },
  { test: /^warn/i, color: '#f2a33a', rank: 2 },
  { test: /^(info|notice|information)/i, color: '#3e7be0', rank: 3 },
  { test: /^ok$/i, color: '#30a46c', rank: 3 },
  { test: /^unset$/i, color: '#5b8def', rank: 4 },
  { test: /^debug/i, color: '#8e6bd8', rank: 5 },
  { test: /^trace/i, color: '#8a94a6', rank: 6 },
];
const OTHER_COLORS = ['#12a4b8', '#c45fb0', '#7c9a2d', '#d9822b', '#5a6f8f', '#b8925a'];

function family(name: string) {
  return FAMILIES.find((f) => f.test.test(name.trim()));
}

/** A series' colour: red for errors, amber for warnings, blue for info…; others from a fixed palette. */
export function seriesColor(name: string, index: number): string {
  return family(name)?.color ?? OTHER_COLORS[index % OTHER_COLORS.length] ?? '#888888';
}

/** Series ordered for stacking: errors at the bottom (most visible), then by severity, then by size. */
export function orderSeries(series: readonly Series[]): Series[] {
  const total = (s: Series) => s.counts.reduce((a, b) => a + b, 0);
  return [...series].sort((a, b) => {
    const ra = family(a.name)?.rank ?? 10;
    const rb = family(b.name)?.rank ?? 10;
    return ra !== rb ? ra - rb : total(b) - total(a) || a.name.localeCompare(b.name);
  });
}

/** The tallest stacked bucket. */
export function maxStack(series: readonly Series[], buckets: number): number {
  let max = 0;
  for (let i = 0; i < buckets; i += 1) {
    let sum = 0;
    for (const s of series) sum += s.counts[i] ?? 0;
    if (sum > max) max = sum;
  }
  return max;
}

/** A "nice" top for the y axis (1, 2, 5 × 10^n) at or above `max`, at least 1. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const TICK_STEPS_S = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Round instants (ms) for x-axis labels: about `count` of them between start and end. */
export function timeTicks(startMs: number, endMs: number, count = 6): number[] {
  const span = endMs - startMs;
  if (!(span > 0)) return [];
  const wanted = span / 1000 / Math.max(count, 1);
  const step = (TICK_STEPS_S.find((s) => s >= wanted) ?? Math.ceil(wanted / 86400) * 86400) * 1000;
  const ticks: number[] = [];
  for (let t = Math.ceil(startMs / step) * step; t <= endMs; t += step) ticks.push(t);
  return ticks;
}

/** The instant at pixel `x` of a plot `width` wide showing start..end, clamped to the plot. */
export function timeAt(x: number, width: number, startMs: number, endMs: number): number {
  if (width <= 0) return startMs;
  const ratio = Math.min(Math.max(x / width, 0), 1);
  return startMs + ratio * (endMs - startMs);
}

/** The pixel of instant `ms` on the same plot. */
export function xOf(ms: number, width: number, startMs: number, endMs: number): number {
  return endMs > startMs ? ((ms - startMs) / (endMs - startMs)) * width : 0;
}

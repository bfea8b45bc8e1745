/**
 * A time chart drawn by uPlot: lines with gaps where there is no data, or stacked bars. The legend and
 * the hover tooltip are React (text only, never HTML built from data); a legend entry hides its series.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { zoomSpec, type TimeSpec } from '../time';
import { axisTimes, formatValue, hasLonePoints, stack, type PlotData } from './series';

// Series colours picked to read on both the light and the dark panel (contrast ≥ 3:1 against each).
const LIGHT = ['#2f6fde', '#d9480f', '#2b8a3e', '#c2255c', '#7048e8', '#0b7285', '#b35c00', '#5c7cfa', '#a61e4d', '#495057'];
const DARK = ['#5b93f5', '#ff8a4c', '#51cf66', '#f06595', '#9775fa', '#3bc9db', '#fcc419', '#91a7ff', '#ff6b6b', '#adb5bd'];

export function seriesColor(index: number, dark: boolean): string {
  const palette = dark ? DARK : LIGHT;
  return palette[index % palette.length] ?? '#888';
}

interface Theme {
  dark: boolean;
  text: string;
  muted: string;
  line: string;
}

function readTheme(): Theme {
  const root = document.documentElement;
  const style = getComputedStyle(root);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    dark: root.dataset.theme === 'dark',
    text: v('--text', '#1b1f24'),
    muted: v('--muted', '#5d6673'),
    line: v('--line', '#dde1e6'),
  };
}

/** The theme's colours, following <html data-theme> as Preferences or the system change it. */
export function useChartTheme(): Theme {
  const [theme, setTheme] = useState<Theme>(readTheme);
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(readTheme()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

function useSize(ref: React.RefObject<HTMLElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      if (!entry) return;
      const width = Math.floor(entry.contentRect.width);
      const height = Math.floor(entry.contentRect.height);
      setSize((old) => (old.width === width && old.height === height ? old : { width, height }));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

interface Hover {
  idx: number;
  left: number;
  top: number;
}

export interface ChartProps {
  data: PlotData;
  display: 'line' | 'bar';
  /** Formats values on the axis, legend and tooltip. */
  format?: (value: number | null) => string;
  /** Called with the absolute range selected by dragging across the chart. */
  onZoom?: (spec: TimeSpec) => void;
  legend?: 'full' | 'compact' | 'none';
  /** Bars stack (the default); unstacked, later series are drawn over earlier ones. */
  stacked?: boolean;
  /** The accessible name of the chart. */
  label: string;
}

export function Chart({ data, display, format = formatValue, onZoom, legend = 'full', stacked: stacking = true, label }: ChartProps) {
  const { prefs } = usePrefs();
  const theme = useChartTheme();
  const plotRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<uPlot | null>(null);
  const size = useSize(plotRef);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(() => new Set());
  const [hover, setHover] = useState<Hover | null>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;

  // A new answer may have other series: forget which were hidden.
  useEffect(() => setHidden(new Set()), [data]);

  const colors = useMemo(() => data.series.map((_, i) => seriesColor(i, theme.dark)), [data, theme.dark]);

  const hasSize = size.width > 0 && size.height > 0;
  useEffect(() => {
    const element = plotRef.current;
    if (!element || !hasSize) return;
    const count = data.series.length;
    const bars = display === 'bar';
    const stacks = bars && stacking;
    // Stacked bars: each bar reaches the sum below it, drawn top of the stack first so lower ones cover it.
    const shown = data.series.map((s, i) => (hidden.has(i) ? s.values.map(() => null) : s.values));
    const stacked = stacks ? stack(shown) : shown;
    const order = stacks ? [...Array(count).keys()].reverse() : [...Array(count).keys()];
    const last = data.x[data.x.length - 1] ?? 0;
    const xMax = bars ? last + data.bucketSeconds : last;
    const series: uPlot.Series[] = [{}];
    for (const i of order) {
      const color = colors[i] ?? '#888';
      const values = data.series[i]?.values ?? [];
      series.push({
        label: data.series[i]?.label ?? '',
        stroke: color,
        width: bars ? 0 : 1.5,
        fill: bars ? color : count === 1 ? `${color}22` : undefined,
        paths: bars ? uPlot.paths.bars?.({ size: [0.85, 80, 1], align: 1 }) : undefined,
        points: { show: !bars && hasLonePoints(values), size: 5, fill: color },
        spanGaps: false,
        show: !hidden.has(i),
      });
    }
    const opts: uPlot.Options = {
      width: size.width,
      height: size.height,
      legend: { show: false },
      padding: [8, 8, 0, 0],
      cursor: {
        drag: { x: Boolean(zoomRef.current), y: false, setScale: false },
        points: { show: !bars },
      },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: true, range: () => [data.x[0] ?? 0, xMax > (data.x[0] ?? 0) ? xMax : (data.x[0] ?? 0) + 60] },
        y: {
          range: (_u, min, max) => {
            const low = Math.min(0, Number.isFinite(min) ? min : 0);
            const high = Number.isFinite(max) && max > low ? max : low + 1;
            return [low, high + (high - low) * 0.08];
          },
        },
      },
      axes: [
        {
          stroke: theme.muted,
          grid: { stroke: theme.line, width: 1 },
          ticks: { stroke: theme.line, width: 1 },
          values: (_u, ticks) => axisTimes(ticks, prefs),
          space: 55,
        },
        {
          stroke: theme.muted,
          grid: { stroke: theme.line, width: 1 },
          ticks: { show: false },
          values: (_u, ticks) => ticks.map((t) => format(t)),
          size: (_u, values) => {
            const longest = Math.max(0, ...(values ?? []).map((v) => String(v).length));
            return Math.max(40, longest * 7 + 16);
          },
        },
      ],
      series,
      hooks: {
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            const left = u.cursor.left ?? -1;
            const top = u.cursor.top ?? -1;
            setHover(idx === null || idx === undefined || left < 0 ? null : { idx, left, top });
          },
        ],
        setSelect: [
          (u) => {
            const zoom = zoomRef.current;
            if (!zoom || u.select.width < 5) return;
            const start = u.posToVal(u.select.left, 'x');
            const end = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (end > start) zoom(zoomSpec(start * 1000, end * 1000));
          },
        ],
      },
    };
    const aligned: uPlot.AlignedData = [data.x, ...order.map((i) => stacked[i] ?? [])];
    const chart = new uPlot(opts, aligned, element);
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
    // The size is left out on purpose: a resize is applied below without rebuilding the chart.
  }, [data, display, stacking, hidden, colors, theme, prefs, format, hasSize]);

  useEffect(() => {
    if (hasSize) chartRef.current?.setSize(size);
  }, [size, hasSize]);

  function toggle(index: number) {
    setHidden((old) => {
      const next = new Set(old);
      if (next.has(index)) next.delete(index);
      else next.add(index);
      // Hiding every series leaves nothing to read: show them all again instead.
      return next.size === data.series.length ? new Set() : next;
    });
  }

  const hoverTime = hover ? data.x[hover.idx] : undefined;
  const hoverRows =
    hover && hoverTime !== undefined
      ? data.series
          .map((s, i) => ({ i, label: s.label, value: s.values[hover.idx] ?? null }))
          .filter((row) => !hidden.has(row.i))
          .sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity))
          .slice(0, 12)
      : [];

  return (
    <div className={`chart-box chart-legend-${legend}`}>
      <div className="chart-plot" ref={plotRef} role="img" aria-label={label} onMouseLeave={() => setHover(null)}>
        {hover && hoverTime !== undefined && (
          <div
            className="chart-tooltip"
            style={{
              left: hover.left + 12 + 240 > size.width ? Math.max(0, hover.left - 252) : hover.left + 12,
              top: Math.min(Math.max(0, hover.top - 20), Math.max(0, size.height - 60)),
            }}
          >
            <div className="chart-tooltip-time">{formatInstant(hoverTime * 1000, prefs, { ms: false })}</div>
            {hoverRows.map((row) => (
              <div key={row.i} className="chart-tooltip-row">
                <span className="chart-swatch" style={{ background: colors[row.i] }} />
                <span className="chart-tooltip-label">{row.label}</span>
                <span className="chart-tooltip-value">{format(row.value)}</span>
              </div>
            ))}
          </div>
        )}
      </div>
      {legend !== 'none' && (
        <ul className="chart-legend" aria-label="Legend">
          {data.series.map((s, i) => (
            <li key={i}>
              <button
                type="button"
                className={`chart-legend-item${hidden.has(i) ? ' chart-legend-off' : ''}`}
                aria-pressed={!hidden.has(i)}
                title={hidden.has(i) ? 'Show this series' : 'Hide this series'}
                onClick={() => toggle(i)}
              >
                <span className="chart-swatch" style={{ background: colors[i] }} />
                <span className="chart-legend-label">{s.label}</span>
                {legend === 'full' && s.total !== null && <span className="chart-legend-total">{format(s.total)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Matches over time as stacked bars (by severity for logs, by status for spans). Dragging across it
 * selects a time range to zoom into. Drawn as SVG: every label is React text, never HTML.
 */
import { memo, useEffect, useMemo, useRef, useState, type PointerEvent, type RefObject } from 'react';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import type { HistogramAnswer } from '../searchApi';
import { maxStack, niceMax, orderSeries, seriesColor, timeAt, timeTicks, xOf } from './histogramModel';

const HEIGHT = 96;
const AXIS = 18;
const LEFT = 44;

interface Props {
  data: HistogramAnswer | null;
  loading: boolean;
  error: string | null;
  /** Called with the dragged range, in ms (start < end). */
  onZoom: (startMs: number, endMs: number) => void;
}

function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry?.contentRect.width ?? 0)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export const Histogram = memo(function Histogram({ data, loading, error, onZoom }: Props) {
  const { prefs } = usePrefs();
  const [ref, width] = useWidth<HTMLDivElement>();
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const plotWidth = Math.max(width - LEFT, 10);

  const model = useMemo(() => {
    if (!data) return null;
    const startMs = Date.parse(data.start);
    const endMs = Date.parse(data.end);
    const buckets = data.buckets.map((b) => Date.parse(b));
    const series = orderSeries(data.series);
    const colors = new Map(series.map((s, i) => [s.name, seriesColor(s.name, i)]));
    const top = niceMax(maxStack(series, buckets.length));
    const totals = series.map((s) => ({ name: s.name, total: s.counts.reduce((a, b) => a + b, 0) }));
    return { startMs, endMs, buckets, series, colors, top, totals, stepMs: data.bucket_seconds * 1000 };
  }, [data]);

  const bars = useMemo(() => {
    if (!model) return [];
    const out: { key: string; x: number; y: number; w: number; h: number; fill: string }[] = [];
    const scale = (HEIGHT - 4) / model.top;
    model.buckets.forEach((bucket, i) => {
      const x = xOf(bucket, plotWidth, model.startMs, model.endMs);
      const x2 = xOf(bucket + model.stepMs, plotWidth, model.startMs, model.endMs);
      const left = Math.max(x, 0);
      const w = Math.max(Math.min(x2, plotWidth) - left - 1, 1);
      let y = HEIGHT;
      for (const s of model.series) {
        const count = s.counts[i] ?? 0;
        if (count === 0) continue;
        const h = Math.max(count * scale, 1);
        y -= h;
        out.push({ key: `${i}-${s.name}`, x: left, y, w, h, fill: model.colors.get(s.name) ?? '#888' });
      }
    });
    return out;
  }, [model, plotWidth]);

  const ticks = useMemo(() => {
    if (!model) return [];
    const withDate = model.endMs - model.startMs > 86_400_000;
    return timeTicks(model.startMs, model.endMs, Math.max(2, Math.floor(plotWidth / 110))).map((t) => ({
      t,
      x: xOf(t, plotWidth, model.startMs, model.endMs),
      // Round ticks: "14:05" rather than "14:05:00" (and "02:05 p.m." on a 12-hour clock).
      label: formatInstant(t, prefs, { date: withDate, ms: false }).replace(/(\d{2}:\d{2}):00(?= |$)/, '$1'),
    }));
  }, [model, plotWidth, prefs]);

  const localX = (event: PointerEvent<SVGRectElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    return Math.min(Math.max(event.clientX - box.left, 0), plotWidth);
  };

  const hovered = useMemo(() => {
    if (!model || hover === null || drag) return null;
    const t = timeAt(hover, plotWidth, model.startMs, model.endMs);
    const index = model.buckets.findIndex((b) => t >= b && t < b + model.stepMs);
    if (index < 0) return null;
    const counts = model.series
      .map((s) => ({ name: s.name, count: s.counts[index] ?? 0 }))
      .filter((c) => c.count > 0);
    return { index, bucket: model.buckets[index] ?? 0, counts };
  }, [model, hover, drag, plotWidth]);

  const total = data?.total ?? 0;
  return (
    <div className="search-histogram" data-testid="histogram" aria-busy={loading}>
      <div className="search-histogram-plot" ref={ref}>
        {error ? (
          <p className="muted small-print search-histogram-note">The chart could not be drawn: {error}</p>
        ) : !model ? (
          <p className="muted small-print search-histogram-note" role="status">
            {loading ? 'Loading the chart…' : ''}
          </p>
        ) : (
          <svg
            width={width}
            height={HEIGHT + AXIS}
            role="img"
            aria-label={`Matches over time: ${total} in all. Drag across the chart to zoom into a time range.`}
          >
            <g className="search-histogram-grid">
              {yTicks(model.top).map((f) => (
                <g key={f}>
                  <line x1={LEFT} x2={LEFT + plotWidth} y1={HEIGHT - f * (HEIGHT - 4)} y2={HEIGHT - f * (HEIGHT - 4)} />
                  <text x={LEFT - 6} y={HEIGHT - f * (HEIGHT - 4) + 4} textAnchor="end">
                    {compact(model.top * f)}
                  </text>
                </g>
              ))}
            </g>
            <g transform={`translate(${LEFT},0)`}>
              {bars.map((b) => (
                <rect key={b.key} x={b.x} y={b.y} width={b.w} height={b.h} fill={b.fill} />
              ))}
              {hovered && (
                <rect
                  className="search-histogram-hover"
                  x={xOf(hovered.bucket, plotWidth, model.startMs, model.endMs)}
                  y={0}
                  width={Math.max(xOf(hovered.bucket + model.stepMs, plotWidth, model.startMs, model.endMs) - xOf(hovered.bucket, plotWidth, model.startMs, model.endMs), 1)}
                  height={HEIGHT}
                />
              )}
              {ticks.map((tick) => (
                <g key={tick.t} className="search-histogram-tick">
                  <line x1={tick.x} x2={tick.x} y1={HEIGHT} y2={HEIGHT + 4} />
                  <text x={tick.x} y={HEIGHT + AXIS - 3} textAnchor="middle">
                    {tick.label}
                  </text>
                </g>
              ))}
              {drag && (
                <rect
                  className="search-histogram-selection"
                  data-testid="histogram-selection"
                  x={Math.min(drag.from, drag.to)}
                  y={0}
                  width={Math.abs(drag.to - drag.from)}
                  height={HEIGHT}
                />
              )}
              <rect
                className="search-histogram-hit"
                data-testid="histogram-hit"
                x={0}
                y={0}
                width={plotWidth}
                height={HEIGHT + AXIS}
                onPointerDown={(e) => {
                  if (e.button !== 0) return;
                  e.currentTarget.setPointerCapture(e.pointerId);
                  const x = localX(e);
                  setDrag({ from: x, to: x });
                }}
                onPointerMove={(e) => {
                  const x = localX(e);
                  setHover(x);
                  if (drag) setDrag({ ...drag, to: x });
                }}
                onPointerLeave={() => setHover(null)}
                onPointerUp={(e) => {
                  if (!drag) return;
                  const to = localX(e);
                  setDrag(null);
                  // A click (or a wobble) is not a zoom.
                  if (Math.abs(to - drag.from) < 4) return;
                  const a = timeAt(drag.from, plotWidth, model.startMs, model.endMs);
                  const b = timeAt(to, plotWidth, model.startMs, model.endMs);
                  onZoom(Math.min(a, b), Math.max(a, b));
                }}
                onPointerCancel={() => setDrag(null)}
              />
            </g>
          </svg>
        )}
        {hovered && model && (
          <div
            className="search-histogram-tip"
            role="tooltip"
            style={{ left: Math.min(LEFT + hover!, width - 200) }}
          >
            <div className="search-histogram-tip-time">
              {formatInstant(hovered.bucket, prefs, { ms: false })} · {formatSpan(model.stepMs)}
            </div>
            {hovered.counts.length === 0 ? (
              <div className="muted">no matches</div>
            ) : (
              hovered.counts.map((c) => (
                <div key={c.name}>
                  <span className="search-swatch" style={{ background: model.colors.get(c.name) }} />
                  {c.name || '(none)'}: {c.count.toLocaleString()}
                </div>
              ))
            )}
          </div>
        )}
      </div>
      {model && model.totals.length > 0 && (
        <ul className="search-histogram-legend" aria-label="Chart legend">
          {model.totals.map((s) => (
            <li key={s.name}>
              <span className="search-swatch" style={{ background: model.colors.get(s.name) }} />
              {s.name || '(none)'} <span className="muted">{s.total.toLocaleString()}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
});

/** Gridlines as fractions of the top: the middle one only when it is a whole count. */
function yTicks(top: number): number[] {
  return top % 2 === 0 ? [0, 0.5, 1] : [0, 1];
}

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function formatSpan(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${s / 60}m`;
  if (s < 86400) return `${s / 3600}h`;
  return `${s / 86400}d`;
}

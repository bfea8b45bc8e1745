/**
 * An alert's history as a uPlot chart: each group's value per window, the threshold as a dashed line
 * (or the range as a band), breaching windows ringed in the danger colour and failed evaluations as ticks
 * at the bottom. Legend and tooltip are React text; nothing from the data becomes HTML.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../styles/charts.css';
import { seriesColor, useChartTheme } from '../charts/Chart';
import { axisTimes, formatValue } from '../charts/series';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import type { HistoryChartData, Threshold } from './status';

const HEIGHT = 260;

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The y range: the values and the threshold both in view. */
function yRange(min: number, max: number, threshold: Threshold): [number, number] {
  const marks = threshold.kind === 'line' ? [threshold.value] : threshold.kind === 'band' ? [threshold.low, threshold.high] : [];
  const low = Math.min(0, Number.isFinite(min) ? min : 0, ...marks);
  const top = Math.max(Number.isFinite(max) ? max : low + 1, ...marks);
  const high = top > low ? top : low + 1;
  return [low, high + (high - low) * 0.1];
}

export function HistoryChart({ data, threshold, label }: { data: HistoryChartData; threshold: Threshold; label: string }) {
  const { prefs } = usePrefs();
  const theme = useChartTheme();
  const plotRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<{ idx: number; left: number; top: number } | null>(null);
  const colors = useMemo(() => data.series.map((_, i) => seriesColor(i, theme.dark)), [data, theme.dark]);

  useEffect(() => {
    const element = plotRef.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = plotRef.current;
    if (!element || width === 0 || data.x.length === 0) return;
    const danger = cssVar('--danger', '#c92a2a');
    const warn = cssVar('--warn', '#e67700');
    const first = data.x[0] ?? 0;
    const last = data.x[data.x.length - 1] ?? first;
    const opts: uPlot.Options = {
      width,
      height: HEIGHT,
      legend: { show: false },
      // Room on the right for the last time label.
      padding: [8, 28, 0, 0],
      cursor: { drag: { x: false, y: false }, points: { show: true } },
      scales: {
        x: { time: true, range: () => [first, last > first ? last : first + 60] },
        y: { range: (_u, min, max) => yRange(min, max, threshold) },
      },
      axes: [
        {
          stroke: theme.muted,
          grid: { stroke: theme.line, width: 1 },
          ticks: { stroke: theme.line, width: 1 },
          // Short histories have ticks closer than a second apart: label each time once.
          values: (_u, ticks) => axisTimes(ticks, prefs).map((text, i, all) =>
              i > 0 && text.split('\n')[0] === all[i - 1]?.split('\n')[0] ? '' : text,
            ),
          space: 60,
        },
        {
          stroke: theme.muted,
          grid: { stroke: theme.line, width: 1 },
          ticks: { show: false },
          values: (_u, ticks) => ticks.map((t) => formatValue(t)),
          size: 50,
        },
      ],
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: colors[i] ?? '#888',
          width: 1.5,
          points: { show: data.x.length <= 60, size: 4, fill: colors[i] ?? '#888' },
          spanGaps: false,
        })),
      ],
      hooks: {
        // The threshold under the lines, the breach rings and error ticks over them.
        drawAxes: [(u) => drawThreshold(u, threshold, danger)],
        draw: [(u) => drawMarks(u, data, danger, warn)],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            const left = u.cursor.left ?? -1;
            setHover(idx === null || idx === undefined || left < 0 ? null : { idx, left, top: u.cursor.top ?? 0 });
          },
        ],
      },
    };
    const chart = new uPlot(opts, [data.x, ...data.series.map((s) => s.values)], element);
    return () => chart.destroy();
  }, [data, threshold, colors, theme, prefs, width]);

  if (data.x.length === 0) return <p className="muted">No evaluated windows to draw yet.</p>;

  const time = hover ? data.x[hover.idx] : undefined;
  return (
    <div className="alert-chart">
      <div className="chart-plot alert-chart-plot" ref={plotRef} role="img" aria-label={label} onMouseLeave={() => setHover(null)}>
        {hover && time !== undefined && (
          <div
            className="chart-tooltip"
            style={{ left: hover.left + 252 > width ? Math.max(0, hover.left - 252) : hover.left + 12, top: Math.max(0, hover.top - 20) }}
          >
            <div className="chart-tooltip-time">{formatInstant(time * 1000, prefs, { ms: false })}</div>
            {data.series.map((s, i) => (
              <div key={s.label} className="chart-tooltip-row">
                <span className="chart-swatch" style={{ background: colors[i] }} />
                <span className="chart-tooltip-label">{s.label}</span>
                <span className="chart-tooltip-value">
                  {formatValue(s.values[hover.idx] ?? null)}
                  {s.breached[hover.idx] ? ' ⚠' : ''}
                </span>
              </div>
            ))}
          </div>
        )}
      </div>
      <ul className="chart-legend alert-chart-legend" aria-label="Legend">
        {data.series.map((s, i) => (
          <li key={s.label} className="chart-legend-item">
            <span className="chart-swatch" style={{ background: colors[i] }} />
            <span className="chart-legend-label">{s.label}</span>
          </li>
        ))}
        {threshold.kind !== 'none' && (
          <li className="chart-legend-item">
            <span className="alert-chart-key-threshold" />
            <span>{threshold.kind === 'line' ? 'threshold' : threshold.inside ? 'alerting range' : 'allowed range'}</span>
          </li>
        )}
        <li className="chart-legend-item">
          <span className="alert-chart-key-breach" />
          <span>breaching window</span>
        </li>
        {data.errors.length > 0 && (
          <li className="chart-legend-item">
            <span className="alert-chart-key-error" />
            <span>failed evaluation</span>
          </li>
        )}
      </ul>
      {data.hiddenGroups > 0 && (
        <p className="muted small-print">
          The {data.series.length} groups that breached most are drawn; {data.hiddenGroups} more are in the table below.
        </p>
      )}
    </div>
  );
}

function drawThreshold(u: uPlot, threshold: Threshold, color: string) {
  if (threshold.kind === 'none') return;
  const { ctx, bbox } = u;
  ctx.save();
  if (threshold.kind === 'band') {
    const top = u.valToPos(threshold.high, 'y', true);
    const bottom = u.valToPos(threshold.low, 'y', true);
    // Inside the band breaches: tint it; outside breaches: the band is where values belong.
    ctx.fillStyle = threshold.inside ? `${color}26` : 'rgba(64, 160, 90, 0.14)';
    ctx.fillRect(bbox.left, Math.min(top, bottom), bbox.width, Math.max(1, Math.abs(bottom - top)));
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  const lines = threshold.kind === 'line' ? [threshold.value] : [threshold.low, threshold.high];
  for (const value of lines) {
    const y = Math.round(u.valToPos(value, 'y', true));
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
}

function drawMarks(u: uPlot, data: HistoryChartData, danger: string, warn: string) {
  const { ctx, bbox } = u;
  const ratio = devicePixelRatio;
  ctx.save();
  ctx.strokeStyle = danger;
  ctx.lineWidth = 2 * ratio;
  data.series.forEach((s, index) => {
    if (u.series[index + 1]?.show === false) return;
    s.breached.forEach((breached, i) => {
      const value = s.values[i];
      const time = data.x[i];
      if (!breached || value === null || value === undefined || time === undefined) return;
      ctx.beginPath();
      ctx.arc(u.valToPos(time, 'x', true), u.valToPos(value, 'y', true), 5 * ratio, 0, 2 * Math.PI);
      ctx.stroke();
    });
  });
  ctx.fillStyle = warn;
  for (const time of data.errors) {
    const x = u.valToPos(time, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.fillRect(x - 2 * ratio, bbox.top + bbox.height - 8 * ratio, 4 * ratio, 8 * ratio);
  }
  ctx.restore();
}

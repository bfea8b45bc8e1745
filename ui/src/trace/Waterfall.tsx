import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import type { TraceSpan } from '../traceApi';
import { formatDuration, labelSide, ticks, visibleRows, type WaterfallLayout, type WaterfallRow } from './waterfall';

export interface WaterfallProps {
  layout: WaterfallLayout<TraceSpan>;
  colors: Map<string, string>;
  selected: string | null;
  onSelect: (spanId: string) => void;
}

const INDENT_PX = 14;
const ROW_PX = 28; // rows are one line high: a fixed height lets big traces render only what shows
const RULER_PX = 26; // the sticky time ruler above the rows, inside the same scroll box
const MAX_INDENT_LEVELS = 30; // deeper spans stay at this indent, with their depth written out

/** Whether a span matches the "find in trace" text: name, service, ids, attribute keys or values. */
function matches(span: TraceSpan, needle: string): boolean {
  if (needle === '') return true;
  const hay = [span.name, span.service, span.span_id, span.status_message];
  for (const [key, value] of Object.entries(span.attributes)) hay.push(key, value);
  return hay.some((text) => text.toLowerCase().includes(needle));
}

/** The trace as rows: indented span name with its service colour, and a bar on the trace's time line. */
export function Waterfall({ layout, colors, selected, onSelect }: WaterfallProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [find, setFind] = useState('');
  const [critical, setCritical] = useState(false);
  const rows = useMemo(() => visibleRows(layout.rows, collapsed), [layout.rows, collapsed]);
  const marks = useMemo(() => ticks(layout.durationMs), [layout.durationMs]);
  const needle = find.trim().toLowerCase();
  const found = useMemo(
    () => (needle === '' ? 0 : layout.rows.filter((row) => matches(row.span, needle)).length),
    [layout.rows, needle],
  );
  const parents = layout.rows.filter((row) => row.childCount > 0);
  const grid = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => grid.current,
    estimateSize: () => ROW_PX,
    overscan: 20,
    scrollMargin: RULER_PX,
    // The first paint (and a test browser) sees rows before the grid is measured.
    initialRect: { width: 1000, height: 600 },
  });

  // A span chosen elsewhere (a log line, a parent link): open its collapsed ancestors and show it.
  useEffect(() => {
    if (selected === null) return;
    const byId = new Map(layout.rows.map((row) => [row.span.span_id, row]));
    const ancestors: string[] = [];
    for (let at = byId.get(selected)?.parentId; at; at = byId.get(at)?.parentId) {
      ancestors.push(at);
      if (ancestors.length > byId.size) break;
    }
    setCollapsed((current) =>
      ancestors.some((id) => current.has(id)) ? new Set([...current].filter((id) => !ancestors.includes(id))) : current,
    );
  }, [selected, layout.rows]);

  const selectedIndex = selected === null ? -1 : rows.findIndex((row) => row.span.span_id === selected);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const toggle = (id: string) =>
    setCollapsed((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="trace-waterfall">
      <div className="trace-toolbar">
        <input
          type="search"
          className="trace-find"
          aria-label="Find in trace"
          placeholder="Find in trace: name, service, attribute…"
          value={find}
          onChange={(event) => setFind(event.target.value)}
        />
        {needle !== '' && (
          <span className="muted" role="status">
            {found} of {layout.rows.length} spans match
          </span>
        )}
        <label className="trace-check">
          <input type="checkbox" checked={critical} onChange={(event) => setCritical(event.target.checked)} /> Critical
          path
        </label>
        {parents.length > 0 && (
          <>
            <button type="button" className="secondary small" onClick={() => setCollapsed(new Set())}>
              Expand all
            </button>
            <button
              type="button"
              className="secondary small"
              onClick={() => setCollapsed(new Set(parents.filter((r) => r.depth > 0).map((r) => r.span.span_id)))}
            >
              Collapse all
            </button>
          </>
        )}
      </div>
      <div className="trace-grid" ref={grid}>
        <div className="trace-ruler" aria-hidden="true" style={{ height: `${RULER_PX}px` }}>
          <div className="trace-ruler-name">Span</div>
          <div className="trace-ruler-time">
            {marks.map((mark) => (
              <span
                key={mark.ms}
                className="trace-tick"
                style={mark.pct > 92 ? { right: `${100 - mark.pct}%` } : { left: `${mark.pct}%` }}
              >
                {formatDuration(mark.ms)}
              </span>
            ))}
          </div>
        </div>
        <div className="trace-rows" role="list" aria-label="Spans" style={{ height: `${virtualizer.getTotalSize()}px` }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            return (
              <SpanRow
                key={row.span.span_id}
                row={row}
                position={item.index}
                size={rows.length}
                style={{ transform: `translateY(${item.start - RULER_PX}px)`, height: `${ROW_PX}px` }}
                color={colors.get(row.span.service) ?? 'var(--muted)'}
                selected={row.span.span_id === selected}
                collapsed={collapsed.has(row.span.span_id)}
                dimmed={(needle !== '' && !matches(row.span, needle)) || (critical && !row.critical)}
                marks={marks}
                totalMs={layout.durationMs}
                onSelect={onSelect}
                onToggle={toggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface SpanRowProps {
  row: WaterfallRow<TraceSpan>;
  position: number;
  size: number;
  style: CSSProperties;
  color: string;
  selected: boolean;
  collapsed: boolean;
  dimmed: boolean;
  marks: Array<{ ms: number; pct: number }>;
  totalMs: number;
  onSelect: (spanId: string) => void;
  onToggle: (spanId: string) => void;
}

function SpanRow({ row, position, size, style, color, selected, collapsed, dimmed, marks, totalMs, onSelect, onToggle }: SpanRowProps) {
  const { span } = row;
  const indent = Math.min(row.depth, MAX_INDENT_LEVELS) * INDENT_PX;
  const duration = formatDuration(span.duration_ms);
  const side = labelSide(row.offsetPct, row.widthPct);
  const classes = ['trace-row'];
  if (row.error) classes.push('trace-row-error');
  if (selected) classes.push('trace-row-selected');
  if (dimmed) classes.push('trace-row-dimmed');
  const notes: string[] = [];
  if (row.error) notes.push('error');
  if (row.orphan) notes.push(row.cycle ? 'in a parent cycle' : 'parent not found');
  const label = `${span.name} (${span.service || 'no service'}), ${duration}${notes.length ? `, ${notes.join(', ')}` : ''}`;
  return (
    <div
      className={classes.join(' ')}
      role="listitem"
      aria-posinset={position + 1}
      aria-setsize={size}
      data-span-id={span.span_id}
      style={style}
    >
      <div className="trace-name-cell" style={{ paddingLeft: `${indent + 4}px` }}>
        {row.childCount > 0 ? (
          <button
            type="button"
            className="trace-toggle"
            aria-expanded={!collapsed}
            aria-label={`${collapsed ? 'Expand' : 'Collapse'} ${span.name}`}
            onClick={() => onToggle(span.span_id)}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="trace-toggle-space" />
        )}
        <button
          type="button"
          className="trace-span-button"
          aria-pressed={selected}
          aria-label={label}
          title={label}
          onClick={() => onSelect(span.span_id)}
        >
          <span className="trace-chip" style={{ background: color }} />
          <span className="trace-service">{span.service || '—'}</span>
          <span className="trace-span-name">{span.name}</span>
          {row.depth > MAX_INDENT_LEVELS && <span className="trace-badge">depth {row.depth}</span>}
          {collapsed && <span className="trace-badge">+{row.descendantCount}</span>}
          {row.orphan && <span className="trace-badge trace-badge-warn">{row.cycle ? 'cycle' : 'no parent'}</span>}
          {row.error && (
            <span className="trace-error-flag" aria-hidden="true">
              !
            </span>
          )}
        </button>
      </div>
      <div className="trace-time-cell" onClick={() => onSelect(span.span_id)} aria-hidden="true">
        {marks.map((mark) => (
          <span key={mark.ms} className="trace-gridline" style={{ left: `${mark.pct}%` }} />
        ))}
        <span
          className={`trace-bar${row.error ? ' trace-bar-error' : ''}${row.critical ? ' trace-bar-critical' : ''}`}
          style={{ left: `${row.offsetPct}%`, width: `${row.widthPct}%`, background: color }}
        >
          {totalMs > 0 &&
            span.events.map((event, index) => {
              const at = span.duration_ms > 0 ? ((event.offset_ms - span.offset_ms) / span.duration_ms) * 100 : 0;
              return (
                <span
                  key={index}
                  className="trace-event-mark"
                  style={{ left: `${Math.min(100, Math.max(0, at))}%` }}
                  title={event.name}
                />
              );
            })}
        </span>
        <span
          className="trace-duration"
          style={
            side === 'after'
              ? { left: `calc(${row.offsetPct + row.widthPct}% + 4px)` }
              : { right: `calc(${100 - row.offsetPct}% + 4px)` }
          }
        >
          {duration}
          {row.outsideParent ? ' ⚠' : ''}
        </span>
      </div>
    </div>
  );
}

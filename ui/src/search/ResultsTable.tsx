/**
 * The result rows, virtualised: only the rows in view (plus a margin) are in the DOM, so ten thousand
 * loaded rows scroll like a hundred. Scrolling near the end asks for the next page. Cells are text.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, type KeyboardEvent, type UIEvent } from 'react';
import { formatCell, isTimeType } from '../format';
import { formatInstant, type Prefs } from '../prefs';
import { usePrefs } from '../prefsContext';
import type { Column, Row } from '../types';
import { seriesColor } from './histogramModel';

const ROW_HEIGHT = 26;
/** Ask for the next page when the last rendered row is this close to the end. */
const PREFETCH_ROWS = 40;

export interface ResultsTableProps {
  columns: Column[];
  rows: Row[];
  selectedId: string | null;
  /** The column holding the severity (or span status), coloured like the chart. */
  severityColumn: string | null;
  wrap: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (id: string) => void;
  /** Whether the list is scrolled to its top (live tail pauses otherwise). */
  onAtTop?: (atTop: boolean) => void;
}

/** A column's width: times and short codes narrow, the last (the body, usually) takes the rest. */
function columnWidth(column: Column, last: boolean, hour12: boolean): string {
  if (last) return 'minmax(22rem, 1fr)';
  if (isTimeType(column.type)) return hour12 ? '17.5rem' : '15rem';
  if (/Int|Float|Decimal/.test(column.type)) return '7.5rem';
  if (/LowCardinality|Enum/.test(column.type)) return '9.5rem';
  return '16rem';
}

function cellText(column: Column, value: unknown, prefs: Prefs): string {
  return isTimeType(column.type) ? formatInstant(value, prefs) : formatCell(value);
}

export const ResultsTable = memo(function ResultsTable(props: ResultsTableProps) {
  const { columns, rows, selectedId, severityColumn, wrap, hasMore, loadingMore, onLoadMore, onOpen, onAtTop } = props;
  const { prefs } = usePrefs();
  const scrollRef = useRef<HTMLDivElement>(null);
  const template = useMemo(
    () => columns.map((c, i) => columnWidth(c, i === columns.length - 1, prefs.hour12)).join(' '),
    [columns, prefs.hour12],
  );
  const severityIndex = severityColumn ? columns.findIndex((c) => c.name === severityColumn) : -1;

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey: (index) => rows[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length > 0 ? (items[items.length - 1]?.index ?? 0) : 0;

  useEffect(() => {
    if (hasMore && !loadingMore && rows.length > 0 && lastIndex >= rows.length - PREFETCH_ROWS) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, onLoadMore]);

  // Wrapped rows have their own heights: measure again when wrapping is switched.
  useEffect(() => virtualizer.measure(), [wrap, virtualizer]);

  const atTop = useRef(true);
  const onScroll = useCallback(
    (event: UIEvent<HTMLDivElement>) => {
      const top = event.currentTarget.scrollTop < ROW_HEIGHT;
      if (top !== atTop.current) {
        atTop.current = top;
        onAtTop?.(top);
      }
    },
    [onAtTop],
  );

  const onKey = (event: KeyboardEvent<HTMLTableRowElement>, id: string, index: number) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onOpen(id);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = index + (event.key === 'ArrowDown' ? 1 : -1);
      if (next < 0 || next >= rows.length) return;
      virtualizer.scrollToIndex(next);
      // The row is rendered after the scroll; focus it on the next frame.
      requestAnimationFrame(() =>
        scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${next}"]`)?.focus(),
      );
    }
  };

  return (
    <div className="search-table-scroll" ref={scrollRef} onScroll={onScroll} data-testid="results-scroll">
      <table
        className={`results search-table${wrap ? ' search-wrap' : ''}`}
        style={{ ['--search-cols' as string]: template }}
        aria-rowcount={rows.length + 1}
      >
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.name} title={`${column.name} · ${column.type}`} scope="col">
                {column.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            const severity = severityIndex >= 0 ? formatCell(row.values[severityIndex]) : null;
            return (
              <tr
                key={item.key}
                data-index={item.index}
                ref={wrap ? virtualizer.measureElement : undefined}
                className={row.id === selectedId ? 'selected' : undefined}
                aria-selected={row.id === selectedId}
                aria-rowindex={item.index + 2}
                tabIndex={0}
                style={{
                  transform: `translateY(${item.start}px)`,
                  borderLeftColor: severity ? seriesColor(severity, 0) : undefined,
                }}
                onClick={() => onOpen(row.id)}
                onKeyDown={(e) => onKey(e, row.id, item.index)}
              >
                {columns.map((column, index) => (
                  <td key={column.name} className={isTimeType(column.type) ? 'time' : undefined}>
                    {cellText(column, row.values[index], prefs)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {(loadingMore || hasMore) && (
        <p className="muted small-print search-table-more" role="status">
          {loadingMore ? 'Loading more rows…' : 'Scroll for more'}
        </p>
      )}
    </div>
  );
});

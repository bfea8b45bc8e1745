import { describe, expect, it } from 'vitest';
import { formatDuration, isErrorStatus, labelSide, layoutWaterfall, ticks, visibleRows, type WaterfallSpan } from './waterfall';

function span(id: string, parent: string, offset: number, duration: number, status = 'Unset'): WaterfallSpan {
  return { span_id: id, parent_span_id: parent, offset_ms: offset, duration_ms: duration, status_code: status };
}

const ids = (rows: { span: WaterfallSpan }[]) => rows.map((row) => row.span.span_id);

describe('layoutWaterfall', () => {
  it('orders a tree depth first, siblings by start, with depth and percentages', () => {
    const layout = layoutWaterfall([
      span('c2', 'root', 60, 40),
      span('root', '', 0, 100),
      span('c1', 'root', 10, 30),
      span('g1', 'c1', 15, 10),
    ]);
    expect(ids(layout.rows)).toEqual(['root', 'c1', 'g1', 'c2']);
    expect(layout.rows.map((r) => r.depth)).toEqual([0, 1, 2, 1]);
    expect(layout.durationMs).toBe(100);
    const c2 = layout.rows[3];
    expect(c2?.offsetPct).toBeCloseTo(60);
    expect(c2?.widthPct).toBeCloseTo(40);
    expect(c2?.parentId).toBe('root');
    expect(layout.rows[0]?.childCount).toBe(2);
    expect(layout.rows[0]?.descendantCount).toBe(3);
  });

  it('shows spans whose parent is missing at the top level, after the real roots', () => {
    const layout = layoutWaterfall([span('lost', 'nowhere', 5, 5), span('root', '', 10, 20), span('kid', 'lost', 6, 1)]);
    expect(ids(layout.rows)).toEqual(['root', 'lost', 'kid']);
    expect(layout.rows[1]?.orphan).toBe(true);
    expect(layout.rows[1]?.depth).toBe(0);
    expect(layout.rows[2]?.orphan).toBe(false);
    expect(layout.rows[0]?.orphan).toBe(false);
  });

  it('refuses parent cycles instead of looping, and shows their spans', () => {
    const layout = layoutWaterfall([span('root', '', 0, 10), span('a', 'b', 1, 1), span('b', 'a', 2, 1), span('self', 'self', 3, 1)]);
    expect(ids(layout.rows).sort()).toEqual(['a', 'b', 'root', 'self']);
    const a = layout.rows.find((r) => r.span.span_id === 'a');
    expect(a?.cycle).toBe(true);
    expect(a?.depth).toBe(0);
    expect(layout.rows.find((r) => r.span.span_id === 'b')?.depth).toBe(1);
    // A span that is its own parent is a top-level span with a missing parent.
    expect(layout.rows.find((r) => r.span.span_id === 'self')?.depth).toBe(0);
  });

  it('keeps skewed children on the time line and flags them', () => {
    const layout = layoutWaterfall([span('root', '', 10, 50), span('early', 'root', 0, 20), span('late', 'root', 50, 30)]);
    expect(layout.durationMs).toBe(80);
    for (const row of layout.rows) {
      expect(row.offsetPct).toBeGreaterThanOrEqual(0);
      expect(row.offsetPct + row.widthPct).toBeLessThanOrEqual(100 + 1e-9);
    }
    expect(layout.rows.find((r) => r.span.span_id === 'early')?.outsideParent).toBe(true);
    expect(layout.rows.find((r) => r.span.span_id === 'late')?.outsideParent).toBe(true);
    expect(layout.rows[0]?.offsetPct).toBeCloseTo(12.5);
  });

  it('shows a repeated span once and survives bad numbers', () => {
    const layout = layoutWaterfall([span('a', '', 0, 10), span('a', '', 0, 99), span('b', 'a', Number.NaN, -5)]);
    expect(ids(layout.rows)).toEqual(['a', 'b']);
    expect(layout.durationMs).toBe(10);
    expect(layout.rows[1]?.widthPct).toBe(0);
  });

  it('handles an empty trace and zero durations', () => {
    expect(layoutWaterfall([]).rows).toEqual([]);
    const layout = layoutWaterfall([span('a', '', 5, 0)]);
    expect(layout.durationMs).toBe(0);
    expect(layout.rows[0]?.offsetPct).toBe(0);
    expect(layout.rows[0]?.widthPct).toBe(0);
  });

  it('counts errors and computes own time', () => {
    const layout = layoutWaterfall([
      span('root', '', 0, 100, 'Error'),
      span('a', 'root', 10, 30),
      span('b', 'root', 20, 30, 'STATUS_CODE_ERROR'),
      span('c', 'root', 90, 50),
    ]);
    expect(layout.errorCount).toBe(2);
    // Children cover 10..50 and 90..100 (clipped): 50 ms of the root's 100.
    expect(layout.rows[0]?.selfMs).toBeCloseTo(50);
  });

  it('marks the critical path: the last finishing child, then what ran before it', () => {
    const layout = layoutWaterfall([
      span('root', '', 0, 100),
      span('db', 'root', 5, 20),
      span('cache', 'root', 10, 5), // overlaps db, finished before db ended: not waited for
      span('render', 'root', 30, 60),
      span('font', 'render', 35, 10),
      span('after', 'root', 95, 20), // started after render... and ends after the root: clipped
    ]);
    const critical = layout.rows.filter((r) => r.critical).map((r) => r.span.span_id);
    expect(critical.sort()).toEqual(['after', 'db', 'font', 'render', 'root'].sort());
    expect(layout.rows.find((r) => r.span.span_id === 'cache')?.critical).toBe(false);
  });

  it('handles a deep chain without recursion', () => {
    const spans = [span('s0', '', 0, 20000)];
    for (let i = 1; i < 20000; i += 1) spans.push(span(`s${i}`, `s${i - 1}`, i, 20000 - i));
    const layout = layoutWaterfall(spans);
    expect(layout.rows).toHaveLength(20000);
    expect(layout.rows[19999]?.depth).toBe(19999);
  });
});

describe('visibleRows', () => {
  it('hides the descendants of collapsed spans only', () => {
    const layout = layoutWaterfall([
      span('root', '', 0, 100),
      span('a', 'root', 1, 10),
      span('a1', 'a', 2, 5),
      span('a2', 'a1', 3, 1),
      span('b', 'root', 20, 10),
    ]);
    expect(ids(visibleRows(layout.rows, new Set(['a'])))).toEqual(['root', 'a', 'b']);
    expect(ids(visibleRows(layout.rows, new Set(['a1'])))).toEqual(['root', 'a', 'a1', 'b']);
    expect(ids(visibleRows(layout.rows, new Set(['root', 'a'])))).toEqual(['root']);
    expect(ids(visibleRows(layout.rows, new Set()))).toHaveLength(5);
  });
});

describe('helpers', () => {
  it('reads error statuses', () => {
    expect(isErrorStatus('Error')).toBe(true);
    expect(isErrorStatus('STATUS_CODE_ERROR')).toBe(true);
    expect(isErrorStatus('Ok')).toBe(false);
    expect(isErrorStatus('')).toBe(false);
  });

  it('spaces ticks on round steps', () => {
    expect(ticks(100).map((t) => t.ms)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(7).map((t) => t.ms)).toEqual([0, 2, 4, 6]);
    expect(ticks(0)).toEqual([{ ms: 0, pct: 0 }]);
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(0.25)).toBe('250 µs');
    expect(formatDuration(12.345)).toBe('12.3 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(125_000)).toBe('2 m 5 s');
  });

  it('puts labels before bars that end near the right edge', () => {
    expect(labelSide(0, 10)).toBe('after');
    expect(labelSide(70, 25)).toBe('before');
    expect(labelSide(0, 100)).toBe('after');
  });
});

describe('service colours', async () => {
  const { serviceColor, serviceColors, PALETTE } = await import('./colors');
  it('gives a service the same colour every time, and distinct colours within a trace', () => {
    expect(serviceColor('checkout')).toBe(serviceColor('checkout'));
    const names = Array.from({ length: PALETTE.length }, (_, i) => `svc-${i}`);
    const colors = serviceColors(names);
    expect(new Set(colors.values()).size).toBe(PALETTE.length);
    expect(serviceColors(['b', 'a']).get('a')).toBe(serviceColors(['a', 'c']).get('a'));
  });
});

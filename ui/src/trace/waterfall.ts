/**
 * The layout of a trace waterfall, as pure functions: spans → rows in tree order (each span before its
 * children, siblings by start), with depth, the bar's place on the trace's time line in percent, the
 * span's own time, and whether it is on the critical path.
 *
 * The data is what senders sent, so nothing is trusted: a span whose parent is missing is shown at the
 * top level (an orphan), a parent cycle is not followed (its spans are shown at the top level too), a
 * repeated span id is shown once, and a child that starts before or ends after its parent (clocks of
 * two hosts disagree) still lies inside the time line, flagged.
 */

export interface WaterfallSpan {
  span_id: string;
  parent_span_id: string;
  /** Start, in ms from any fixed origin (the API's offset from the trace's first span). */
  offset_ms: number;
  duration_ms: number;
  status_code: string;
}

export interface WaterfallRow<S extends WaterfallSpan> {
  span: S;
  depth: number;
  /** Span id of the parent row, when the parent is in the trace. */
  parentId: string | null;
  /** Start and end in ms from the trace's start. */
  startMs: number;
  endMs: number;
  /** The bar: left edge and width, in percent of the trace's duration (offset + width <= 100). */
  offsetPct: number;
  widthPct: number;
  /** The parent id is set but no span of the trace has it. */
  orphan: boolean;
  /** Part of a parent cycle (bad data): shown at the top level, the cycle not followed. */
  cycle: boolean;
  error: boolean;
  childCount: number;
  descendantCount: number;
  /** Duration minus the time covered by its children (within the span). */
  selfMs: number;
  /** On the critical path: the chain of spans that the trace's end waited for. */
  critical: boolean;
  /** Starts before or ends after its parent: clock skew between hosts, or an async child. */
  outsideParent: boolean;
}

export interface WaterfallLayout<S extends WaterfallSpan> {
  rows: WaterfallRow<S>[];
  durationMs: number;
  errorCount: number;
}

const EPSILON_MS = 1e-6;

/** Whether a status code means an error (OTLP's `STATUS_CODE_ERROR`, ClickStack's `Error`). */
export function isErrorStatus(status: string): boolean {
  const folded = status.trim().toLowerCase();
  return folded === 'error' || folded === 'status_code_error' || folded === '2';
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function byStart<S extends WaterfallSpan>(a: S, b: S): number {
  return finite(a.offset_ms) - finite(b.offset_ms) || (a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0);
}

/** The layout of `spans` (any order). */
export function layoutWaterfall<S extends WaterfallSpan>(spans: readonly S[]): WaterfallLayout<S> {
  const byId = new Map<string, S>();
  for (const span of spans) if (!byId.has(span.span_id)) byId.set(span.span_id, span);
  const unique = [...byId.values()];

  const children = new Map<string, S[]>();
  const top: S[] = [];
  for (const span of unique) {
    const parent = span.parent_span_id ? byId.get(span.parent_span_id) : undefined;
    if (parent === undefined || parent === span) {
      top.push(span);
    } else {
      const list = children.get(parent.span_id);
      if (list) list.push(span);
      else children.set(parent.span_id, [span]);
    }
  }
  for (const list of children.values()) list.sort(byStart);
  const isOrphan = (span: S) => span.parent_span_id !== '' && !byId.has(span.parent_span_id);
  // Real roots first, then orphans; each group by start.
  top.sort((a, b) => Number(isOrphan(a)) - Number(isOrphan(b)) || byStart(a, b));

  let startMs = Infinity;
  let endMs = -Infinity;
  for (const span of unique) {
    const start = finite(span.offset_ms);
    startMs = Math.min(startMs, start);
    endMs = Math.max(endMs, start + Math.max(0, finite(span.duration_ms)));
  }
  if (unique.length === 0) {
    startMs = 0;
    endMs = 0;
  }
  const durationMs = Math.max(0, endMs - startMs);
  const scale = durationMs > EPSILON_MS ? 100 / durationMs : 0;

  const rows: WaterfallRow<S>[] = [];
  const seen = new Set<string>();
  const walk = (root: S, cycle: boolean) => {
    // Iterative: a deep trace must not overflow the stack.
    const stack: Array<{ span: S; depth: number; parentId: string | null }> = [{ span: root, depth: 0, parentId: null }];
    while (stack.length > 0) {
      const item = stack.pop();
      if (item === undefined || seen.has(item.span.span_id)) continue;
      seen.add(item.span.span_id);
      const { span, depth, parentId } = item;
      const start = finite(span.offset_ms) - startMs;
      const duration = Math.max(0, finite(span.duration_ms));
      const offsetPct = Math.min(100, Math.max(0, start * scale));
      const widthPct = Math.max(0, Math.min(100 - offsetPct, duration * scale));
      const kids = (children.get(span.span_id) ?? []).filter((kid) => !seen.has(kid.span_id));
      rows.push({
        span,
        depth,
        parentId,
        startMs: start,
        endMs: start + duration,
        offsetPct,
        widthPct,
        orphan: depth === 0 && (cycle || isOrphan(span)),
        cycle: depth === 0 && cycle,
        error: isErrorStatus(span.status_code),
        childCount: kids.length,
        descendantCount: 0,
        selfMs: duration,
        critical: false,
        outsideParent: false,
      });
      for (let i = kids.length - 1; i >= 0; i -= 1) {
        const kid = kids[i];
        if (kid !== undefined) stack.push({ span: kid, depth: depth + 1, parentId: span.span_id });
      }
    }
  };
  for (const span of top) walk(span, false);
  // What is left is reachable from no root: spans in a parent cycle.
  for (const span of [...unique].sort(byStart)) if (!seen.has(span.span_id)) walk(span, true);

  fillTreeFacts(rows);
  markCriticalPath(rows);
  return { rows, durationMs, errorCount: rows.filter((row) => row.error).length };
}

/** Descendant counts, own time and "outside the parent", from the rows in tree order. */
function fillTreeFacts<S extends WaterfallSpan>(rows: WaterfallRow<S>[]): void {
  const index = new Map(rows.map((row, i) => [row.span.span_id, i]));
  const kids = new Map<string, WaterfallRow<S>[]>();
  for (const row of rows) {
    if (row.parentId === null) continue;
    const list = kids.get(row.parentId);
    if (list) list.push(row);
    else kids.set(row.parentId, [row]);
    const parent = rows[index.get(row.parentId) ?? -1];
    if (parent) {
      row.outsideParent = row.startMs < parent.startMs - EPSILON_MS || row.endMs > parent.endMs + EPSILON_MS;
    }
  }
  // Children come after their parent: adding up from the end counts every descendant once.
  for (let i = rows.length - 1; i >= 0; i -= 1) {
    const row = rows[i];
    if (row === undefined) continue;
    row.selfMs = Math.max(0, row.endMs - row.startMs - covered(row, kids.get(row.span.span_id) ?? []));
    const parent = row.parentId === null ? undefined : rows[index.get(row.parentId) ?? -1];
    if (parent) parent.descendantCount += row.descendantCount + 1;
  }
}

/** How much of `row`'s time its children cover (overlaps counted once, clipped to the row). */
function covered<S extends WaterfallSpan>(row: WaterfallRow<S>, children: WaterfallRow<S>[]): number {
  const parts = children
    .map((kid) => [Math.max(kid.startMs, row.startMs), Math.min(kid.endMs, row.endMs)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let reach = -Infinity;
  for (const [a, b] of parts) {
    if (b <= reach) continue;
    total += b - Math.max(a, reach);
    reach = b;
  }
  return total;
}

/**
 * The critical path, as Jaeger draws it: from the end of each top-level span, the child that finished
 * last is what the parent waited for; before that child started, the next child finishing before
 * then; and so on down each chosen child.
 */
function markCriticalPath<S extends WaterfallSpan>(rows: WaterfallRow<S>[]): void {
  const kids = new Map<string, WaterfallRow<S>[]>();
  for (const row of rows) {
    if (row.parentId === null) continue;
    const list = kids.get(row.parentId);
    if (list) list.push(row);
    else kids.set(row.parentId, [row]);
  }
  const queue: Array<{ row: WaterfallRow<S>; until: number }> = rows
    .filter((row) => row.parentId === null && !row.orphan)
    .map((row) => ({ row, until: row.endMs }));
  while (queue.length > 0) {
    const item = queue.pop();
    if (item === undefined) continue;
    const { row, until } = item;
    row.critical = true;
    let cursor = until;
    const byEnd = [...(kids.get(row.span.span_id) ?? [])].sort((a, b) => b.endMs - a.endMs);
    for (const kid of byEnd) {
      if (kid.startMs >= cursor) continue; // started after what we wait for: not blocking
      queue.push({ row: kid, until: Math.min(kid.endMs, cursor) });
      cursor = kid.startMs;
    }
  }
}

/** The rows left when the spans in `collapsed` hide their descendants. */
export function visibleRows<S extends WaterfallSpan>(
  rows: readonly WaterfallRow<S>[],
  collapsed: ReadonlySet<string>,
): WaterfallRow<S>[] {
  const shown: WaterfallRow<S>[] = [];
  let hideDeeperThan = Infinity;
  for (const row of rows) {
    if (row.depth > hideDeeperThan) continue;
    hideDeeperThan = collapsed.has(row.span.span_id) && row.descendantCount > 0 ? row.depth : Infinity;
    shown.push(row);
  }
  return shown;
}

/** Evenly spaced time marks for the ruler: round steps (1, 2, 5 × 10^n ms), at most `most` + 1. */
export function ticks(durationMs: number, most = 5): Array<{ ms: number; pct: number }> {
  if (!(durationMs > 0)) return [{ ms: 0, pct: 0 }];
  const raw = durationMs / most;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const marks: Array<{ ms: number; pct: number }> = [];
  for (let ms = 0; ms <= durationMs + step * 1e-9; ms += step) marks.push({ ms, pct: (ms / durationMs) * 100 });
  return marks;
}

/** A duration for people: 850 µs, 12.3 ms, 1.25 s, 2 m 5 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const value = Math.max(0, ms);
  if (value === 0) return '0 ms';
  if (value < 1) return `${trim(value * 1000, 3)} µs`;
  if (value < 1000) return `${trim(value, 3)} ms`;
  if (value < 60_000) return `${trim(value / 1000, 3)} s`;
  const minutes = Math.floor(value / 60_000);
  const seconds = Math.round((value - minutes * 60_000) / 1000);
  return `${minutes} m ${seconds} s`;
}

/** `value` with about `digits` significant digits and no trailing zeros. */
function trim(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

/** Where a bar's duration text goes: after the bar, or before it when the bar ends near the right. */
export function labelSide(offsetPct: number, widthPct: number): 'after' | 'before' {
  return offsetPct + widthPct > 75 && offsetPct > 25 ? 'before' : 'after';
}

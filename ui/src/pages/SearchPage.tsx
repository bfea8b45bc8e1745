/**
 * Search: the query bar and time range on top, matches over time, then facets, the results (or their
 * patterns) and a row's details in a side panel. The URL holds the whole search (see searchState.ts).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { ErrorMessage, Loading } from '../components';
import { ColumnChooser } from '../search/ColumnChooser';
import { fieldCandidates } from '../search/completion';
import { EXPORT_LIMIT, exportCsv } from '../search/exportCsv';
import { FacetSidebar } from '../search/FacetSidebar';
import { addFilter, mapColumn } from '../search/filters';
import { Histogram } from '../search/Histogram';
import { PatternsView } from '../search/PatternsView';
import { QueryBar, type QueryError } from '../search/QueryBar';
import { ResultsTable } from '../search/ResultsTable';
import { RowPanel } from '../search/RowPanel';
import { SavedSearches } from '../search/SavedSearches';
import { useSession } from '../session';
import { TimePicker } from '../search/TimePicker';
import { useLiveTail } from '../search/useLiveTail';
import {
  searchApi,
  type HistogramAnswer,
  type KeysAnswer,
  type SavedSearch,
  type SearchScope,
  type SearchSource,
} from '../searchApi';
import { EMPTY_SEARCH, parseSearchState, splitSelect, toSearchParams, type SearchState } from '../searchState';
import { DEFAULT_TIME, isRelative, specWindow, zoomSpec, type TimeSpec, type TimeWindow } from '../time';
import type { Column, Row } from '../types';
import '../styles/search.css';
import '../styles/alerts.css';

const PAGE_SIZE = 100;
/** Live tail keeps at most this many rows; older ones fall off the end. */
const MAX_LIVE_ROWS = 20_000;
const LIVE_CHART_REFRESH_MS = 10_000;
const SEARCHABLE = new Set(['log', 'trace']);

type Sources = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; sources: SearchSource[] };

type Results =
  | { kind: 'loading' }
  | { kind: 'error'; message: string; field?: string }
  | { kind: 'idle' }
  | {
      kind: 'ready';
      columns: Column[];
      rows: Row[];
      nextCursor: string | null;
      elapsedMs: number;
      loadingMore: boolean;
      moreError: string | null;
    };

type Chart = { kind: 'loading'; last: HistogramAnswer | null } | { kind: 'error'; message: string } | { kind: 'ready'; data: HistogramAnswer };

/** The search's source: the one in the URL if the team has it, else the first log source. */
function pickSource(sources: SearchSource[], wanted: number | null): SearchSource | undefined {
  return sources.find((s) => s.id === wanted) ?? sources.find((s) => s.kind === 'log') ?? sources[0];
}

/** The column a source maps a role to (`severity` → `SeverityText`), if it is a plain name. */
function roleColumn(source: SearchSource, role: string): string | null {
  const column = source.columns?.[role];
  return typeof column === 'string' ? column : null;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseSearchState(params), [params]);
  const [sources, setSources] = useState<Sources>({ kind: 'loading' });

  useEffect(() => {
    let live = true;
    searchApi.sources().then(
      (all) => live && setSources({ kind: 'ready', sources: all.filter((s) => SEARCHABLE.has(s.kind)) }),
      (err: unknown) => live && setSources({ kind: 'error', message: message(err) }),
    );
    return () => {
      live = false;
    };
  }, []);

  if (sources.kind === 'loading') {
    return (
      <section className="page">
        <h1>Search</h1>
        <Loading what="sources" />
      </section>
    );
  }
  if (sources.kind === 'error') {
    return (
      <section className="page">
        <h1>Search</h1>
        <ErrorMessage message={sources.message} />
      </section>
    );
  }
  const source = pickSource(sources.sources, state.source);
  if (!source) {
    return (
      <section className="page">
        <h1>Search</h1>
        <div className="empty">
          <p>The team has no log or trace source to search yet.</p>
        </div>
      </section>
    );
  }
  return <Search state={state} setParams={setParams} sources={sources.sources} source={source} />;
}

interface SearchProps {
  state: SearchState;
  setParams: ReturnType<typeof useSearchParams>[1];
  sources: SearchSource[];
  source: SearchSource;
}

function Search({ state, setParams, sources, source }: SearchProps) {
  const [run, setRun] = useState(0);
  const [results, setResults] = useState<Results>({ kind: 'loading' });
  const [queryError, setQueryError] = useState<QueryError | null>(null);
  const [chart, setChart] = useState<Chart>({ kind: 'loading', last: null });
  const [keys, setKeys] = useState<{ source: number; answer: KeysAnswer } | null>(null);
  const [live, setLive] = useState(false);
  const [atTop, setAtTop] = useState(true);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [chartTick, setChartTick] = useState(0);
  const [wrap, setWrap] = useState(false);
  const [facetsOpen, setFacetsOpen] = useState(true);
  const [exporting, setExporting] = useState<{ rows: number } | null>(null);
  const [exportNote, setExportNote] = useState<string | null>(null);

  // The latest state for callbacks that must stay the same function (memoised children).
  const stateRef = useRef(state);
  stateRef.current = state;

  const update = useCallback(
    (change: Partial<SearchState>, options: { rerun?: boolean; replace?: boolean } = {}) => {
      setParams(toSearchParams({ ...stateRef.current, ...change }), { replace: options.replace ?? false });
      if (options.rerun) setRun((n) => n + 1);
    },
    [setParams],
  );

  // One window per search: pages, facets and patterns of a relative range all see the same instants.
  const timeKey = JSON.stringify(state.time);
  // (state.time is read through timeKey, so an equal range parsed again is not a new search.)
  const window: TimeWindow = useMemo(() => specWindow(JSON.parse(timeKey) as TimeSpec), [timeKey, run]);
  const scope: SearchScope = useMemo(
    () => ({ source_id: source.id, query: state.query, language: state.language, start: window.start, end: window.end }),
    [source.id, state.query, state.language, window],
  );
  const columnsKey = JSON.stringify(state.columns);
  const select = useMemo(() => (JSON.parse(columnsKey) as string[] | null) ?? undefined, [columnsKey]);

  // --- rows ------------------------------------------------------------------------------------------
  const generation = useRef(0);
  useEffect(() => {
    const abort = new AbortController();
    const mine = ++generation.current;
    setResults({ kind: 'loading' });
    setQueryError(null);
    setAtTop(true);
    searchApi.rows({ ...scope, select, limit: PAGE_SIZE }, abort.signal).then(
      (page) => {
        if (mine !== generation.current) return;
        setResults({
          kind: 'ready',
          columns: page.columns,
          rows: page.rows,
          nextCursor: page.next_cursor,
          elapsedMs: page.elapsed_ms,
          loadingMore: false,
          moreError: null,
        });
      },
      (err: unknown) => {
        if (abort.signal.aborted || isAbort(err)) return;
        if (err instanceof ApiError && (err.status === 400 || err.status === 422) && err.field !== 'select') {
          setQueryError({ message: err.message, position: err.position });
          setResults({ kind: 'idle' });
        } else {
          setResults({ kind: 'error', message: message(err), field: err instanceof ApiError ? err.field : undefined });
        }
      },
    );
    return () => abort.abort();
  }, [scope, select]);

  const resultsRef = useRef(results);
  resultsRef.current = results;
  const loadMore = useCallback(() => {
    const current = resultsRef.current;
    if (current.kind !== 'ready' || !current.nextCursor || current.loadingMore) return;
    const mine = generation.current;
    setResults({ ...current, loadingMore: true, moreError: null });
    searchApi.rows({ ...scope, select, limit: PAGE_SIZE, cursor: current.nextCursor }).then(
      (page) =>
        mine === generation.current &&
        setResults((now) =>
          now.kind === 'ready'
            ? { ...now, rows: [...now.rows, ...page.rows], nextCursor: page.next_cursor, loadingMore: false }
            : now,
        ),
      (err: unknown) =>
        mine === generation.current &&
        setResults((now) => (now.kind === 'ready' ? { ...now, loadingMore: false, moreError: message(err) } : now)),
    );
  }, [scope, select]);

  // --- histogram -------------------------------------------------------------------------------------
  const liveRange = state.time.kind === 'relative' ? state.time.range : null;
  useEffect(() => {
    const abort = new AbortController();
    setChart((now) => ({ kind: 'loading', last: now.kind === 'ready' ? now.data : now.kind === 'loading' ? now.last : null }));
    // While live, the chart follows the clock.
    const body = live && liveRange ? { ...scope, start: undefined, end: undefined, since: liveRange } : scope;
    searchApi.histogram(body, abort.signal).then(
      (data) => setChart({ kind: 'ready', data }),
      (err: unknown) => {
        if (abort.signal.aborted || isAbort(err)) return;
        setChart({ kind: 'error', message: message(err) });
      },
    );
    return () => abort.abort();
  }, [scope, live, liveRange, chartTick]);

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setChartTick((n) => n + 1), LIVE_CHART_REFRESH_MS);
    return () => clearInterval(timer);
  }, [live]);

  // --- live tail -------------------------------------------------------------------------------------
  const tailScope = useMemo(
    () => (live && liveRange ? { source_id: source.id, query: state.query, language: state.language, since: liveRange } : null),
    [live, liveRange, source.id, state.query, state.language],
  );
  const newestId = results.kind === 'ready' ? (results.rows[0]?.id ?? null) : null;
  const onTailRows = useCallback((fresh: Row[]) => {
    setLiveError(null);
    setResults((now) => {
      if (now.kind !== 'ready') return now;
      const seen = new Set(now.rows.slice(0, 1000).map((r) => r.id));
      const added = fresh.filter((r) => !seen.has(r.id));
      if (added.length === 0) return now;
      const rows = [...added, ...now.rows];
      const capped = rows.length > MAX_LIVE_ROWS;
      return { ...now, rows: capped ? rows.slice(0, MAX_LIVE_ROWS) : rows, nextCursor: capped ? null : now.nextCursor };
    });
  }, []);
  useLiveTail({
    enabled: live && atTop && results.kind === 'ready',
    scope: tailScope,
    select,
    newestId,
    onRows: onTailRows,
    onError: setLiveError,
  });

  function toggleLive() {
    if (live) {
      setLive(false);
      return;
    }
    setLiveError(null);
    setLive(true);
    // Live follows "the last …": an absolute range becomes the default relative one, searched afresh.
    if (state.time.kind === 'absolute') update({ time: DEFAULT_TIME }, { rerun: true });
    else setRun((n) => n + 1);
  }

  // --- completion and columns --------------------------------------------------------------------------
  const keysFor = keys?.source === source.id ? keys.answer.keys : null;
  const loadKeys = useCallback(() => {
    if (keys?.source === source.id) return;
    searchApi
      .keys({ source_id: source.id, query: '', language: 'lucene', since: '24h', sample: 10_000, limit: 500 })
      .then(
        (answer) => setKeys({ source: source.id, answer }),
        () => setKeys({ source: source.id, answer: { keys: [], sampled: 0, partial: false } }),
      );
  }, [keys, source.id]);
  const candidates = useMemo(
    () => ({
      lucene: fieldCandidates(source.columns, keysFor ?? [], 'lucene'),
      sql: fieldCandidates(source.columns, keysFor ?? [], 'sql'),
    }),
    [source.columns, keysFor],
  );

  const shownColumns = results.kind === 'ready' ? results.columns.map((c) => c.name) : (state.columns ?? []);
  // The panel adds to the columns shown now (the source's defaults until the user picks).
  const shownColumnsRef = useRef(shownColumns);
  shownColumnsRef.current = shownColumns;
  const columnSuggestions = useMemo(() => {
    const out = new Set<string>();
    for (const c of fieldCandidates(source.columns, [], 'sql')) out.add(c.label);
    for (const k of keysFor ?? []) out.add(mapColumn(k.map, k.key));
    return [...out];
  }, [source.columns, keysFor]);

  // --- actions -----------------------------------------------------------------------------------------
  const onFilter = useCallback(
    (field: string, value: string, exclude: boolean) => {
      const now = stateRef.current;
      update({ query: addFilter(now.query, now.language, field, value, exclude, source) }, { rerun: true });
    },
    [update, source],
  );
  const onAddColumn = useCallback(
    (column: string) => {
      const current = stateRef.current.columns ?? shownColumnsRef.current;
      if (!current.includes(column)) update({ columns: [...current, column] }, { rerun: false });
    },
    [update],
  );
  const onOpenRow = useCallback((id: string) => update({ row: id }), [update]);
  const onCloseRow = useCallback(() => update({ row: null }), [update]);
  const onZoom = useCallback(
    (from: number, to: number) => {
      setLive(false);
      update({ time: zoomSpec(from, to) }, { rerun: true });
    },
    [update],
  );
  const onTime = useCallback(
    (time: TimeSpec) => {
      if (time.kind === 'absolute') setLive(false);
      update({ time }, { rerun: true });
    },
    [update],
  );

  function openSaved(saved: SavedSearch) {
    setLive(false);
    setParams(
      toSearchParams({
        ...EMPTY_SEARCH,
        source: saved.source_id,
        query: saved.query,
        language: saved.language,
        columns: saved.select ? splitSelect(saved.select) : null,
        time: saved.time_range && isRelative(saved.time_range) ? { kind: 'relative', range: saved.time_range } : state.time,
        saved: saved.id,
      }),
    );
    setRun((n) => n + 1);
  }

  async function onExport() {
    setExporting({ rows: 0 });
    setExportNote(null);
    try {
      const done = await exportCsv(scope, select, source.name, (rows) => setExporting({ rows }));
      setExportNote(
        done.truncated
          ? `Exported the newest ${done.rows.toLocaleString()} rows (the export stops at ${EXPORT_LIMIT.toLocaleString()}).`
          : `Exported ${done.rows.toLocaleString()} ${done.rows === 1 ? 'row' : 'rows'}.`,
      );
    } catch (err) {
      setExportNote(`The export failed: ${message(err)}`);
    } finally {
      setExporting(null);
    }
  }

  // "/" focuses the query box, as in most log tools.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      event.preventDefault();
      document.querySelector<HTMLInputElement>('input[aria-label="Search query"]')?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const canAlert = useSession().me.team.role !== 'viewer';
  const savedCurrent = {
    source_id: source.id,
    query: state.query,
    language: state.language,
    select: state.columns ? state.columns.join(', ') : null,
    time_range: state.time.kind === 'relative' ? state.time.range : null,
  };
  const total = chart.kind === 'ready' ? chart.data.total : null;
  const severityColumn =
    (source.kind === 'trace' ? roleColumn(source, 'status_code') : null) ?? roleColumn(source, 'severity');

  return (
    <section className="page search-page">
      <div className="alert-search-head">
        <SavedSearches
          state={state}
          sourceId={source.id}
          current={savedCurrent}
          onOpen={openSaved}
          onSaved={(saved) => update({ saved: saved?.id ?? null }, { replace: true })}
        />
        {canAlert && (
          <Link
            className="alert-create-link"
            to={`/alerts/new?${new URLSearchParams({ source: String(source.id), q: state.query, lang: state.language }).toString()}`}
            title="Alert when this search finds too many (or too few) rows"
          >
            Create alert
          </Link>
        )}
      </div>
      <QueryBar
        query={state.query}
        language={state.language}
        sourceKind={source.kind}
        error={queryError}
        candidates={candidates}
        onWantCandidates={loadKeys}
        onSubmit={(query, language) => update({ query, language, row: null }, { rerun: true })}
        leading={
          <select
            aria-label="Source"
            value={source.id}
            onChange={(e) => {
              setLive(false);
              update({ source: Number(e.target.value), columns: null, row: null, saved: null }, { rerun: true });
            }}
          >
            {sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        }
      >
        <TimePicker value={state.time} onChange={onTime} />
      </QueryBar>
      <Histogram
        data={chart.kind === 'ready' ? chart.data : chart.kind === 'loading' ? chart.last : null}
        loading={chart.kind === 'loading'}
        error={queryError ? 'the search has an error (see above).' : chart.kind === 'error' ? chart.message : null}
        onZoom={onZoom}
      />
      <div className={`search-body${facetsOpen ? '' : ' search-body-wide'}`}>
        {facetsOpen && (
          <div className="search-facets">
            <FacetSidebar source={source} query={state.query} language={state.language} window={window} onFilter={onFilter} />
          </div>
        )}
        <div className="search-main">
          <div className="search-results-head">
            <button
              type="button"
              className="secondary small"
              aria-pressed={facetsOpen}
              onClick={() => setFacetsOpen((v) => !v)}
              title={facetsOpen ? 'Hide the facets' : 'Show the facets'}
            >
              Facets
            </button>
            <div className="search-tabs" role="tablist" aria-label="Result views">
              {(['results', 'patterns'] as const).map((view) => (
                <button
                  key={view}
                  type="button"
                  role="tab"
                  aria-selected={state.view === view}
                  className={state.view === view ? 'search-tab search-tab-on' : 'search-tab'}
                  onClick={() => update({ view })}
                >
                  {view === 'results' ? 'Results' : 'Patterns'}
                </button>
              ))}
            </div>
            {state.view === 'results' && (
              <Summary results={results} total={total} live={live} paused={live && !atTop} />
            )}
            <span className="search-spacer" />
            {state.view === 'results' && (
              <>
                <button
                  type="button"
                  className={live ? 'small search-live-on' : 'secondary small'}
                  aria-pressed={live}
                  onClick={toggleLive}
                  title="Show new rows as they arrive (every 2 seconds)"
                >
                  {live ? '● Live' : 'Live tail'}
                </button>
                <button type="button" className="secondary small" aria-pressed={wrap} onClick={() => setWrap((v) => !v)}>
                  Wrap lines
                </button>
                <ColumnChooser
                  current={shownColumns}
                  chosen={state.columns !== null}
                  suggestions={columnSuggestions}
                  onOpen={loadKeys}
                  onChange={(columns) => update({ columns }, { rerun: false })}
                />
                <button
                  type="button"
                  className="secondary small"
                  disabled={exporting !== null || results.kind !== 'ready' || results.rows.length === 0}
                  onClick={() => void onExport()}
                  title={`Download the matching rows as CSV (up to ${EXPORT_LIMIT.toLocaleString()})`}
                >
                  {exporting ? `Exporting… ${exporting.rows.toLocaleString()}` : 'Export CSV'}
                </button>
              </>
            )}
          </div>
          {(exportNote || liveError) && (
            <p className="muted small-print search-note" role="status">
              {exportNote}
              {liveError && <span className="error"> Live tail: {liveError}</span>}
            </p>
          )}
          {state.view === 'patterns' ? (
            <div className="search-patterns">
              <PatternsView source={source} query={state.query} language={state.language} window={window} onFilter={onFilter} />
            </div>
          ) : (
            <ResultsView
              results={results}
              state={state}
              severityColumn={severityColumn}
              wrap={wrap}
              onLoadMore={loadMore}
              onOpen={onOpenRow}
              onAtTop={setAtTop}
              onResetColumns={() => update({ columns: null })}
            />
          )}
        </div>
      </div>
      {state.row && <RowPanel
          key={state.row}
          source={source}
          rowId={state.row}
          onFilter={onFilter}
          onClose={onCloseRow}
          onAddColumn={onAddColumn}
        />}
    </section>
  );
}

function Summary({ results, total, live, paused }: { results: Results; total: number | null; live: boolean; paused: boolean }) {
  if (results.kind !== 'ready') return null;
  const loaded = results.rows.length;
  const more = total !== null && total > loaded;
  const noun = (more ? total : loaded) === 1 ? 'row' : 'rows';
  const text = more ? `${loaded.toLocaleString()} of ${total.toLocaleString()} ${noun}` : `${loaded.toLocaleString()} ${noun}`;
  return (
    <span className="muted small-print" data-testid="result-summary">
      {text} · {Math.round(results.elapsedMs)} ms
      {live && (paused ? ' · live tail paused while scrolled down' : ' · following new rows')}
    </span>
  );
}

interface ResultsViewProps {
  results: Results;
  state: SearchState;
  severityColumn: string | null;
  wrap: boolean;
  onLoadMore: () => void;
  onOpen: (id: string) => void;
  onAtTop: (top: boolean) => void;
  onResetColumns: () => void;
}

function ResultsView({ results, state, severityColumn, wrap, onLoadMore, onOpen, onAtTop, onResetColumns }: ResultsViewProps) {
  if (results.kind === 'idle') return <p className="muted search-idle">Fix the search above to see results.</p>;
  if (results.kind === 'loading') return <Loading what="results" />;
  if (results.kind === 'error') {
    return (
      <div>
        <ErrorMessage message={results.message} />
        {results.field === 'select' && (
          <button type="button" className="secondary small" onClick={onResetColumns}>
            Go back to the default columns
          </button>
        )}
      </div>
    );
  }
  if (results.rows.length === 0) {
    return (
      <div className="empty">
        <p>Nothing matches in this time range.</p>
        <p className="muted">
          Try a longer time range or a broader search. No data yet? See <Link to="/getting-started">Send data</Link>.
        </p>
      </div>
    );
  }
  return (
    <>
      <ResultsTable
        columns={results.columns}
        rows={results.rows}
        selectedId={state.row}
        severityColumn={severityColumn}
        wrap={wrap}
        hasMore={results.nextCursor !== null && results.moreError === null}
        loadingMore={results.loadingMore}
        onLoadMore={onLoadMore}
        onOpen={onOpen}
        onAtTop={onAtTop}
      />
      {results.moreError && (
        <p className="error small-print" role="alert">
          The next page failed: {results.moreError}{' '}
          <button type="button" className="secondary small" onClick={onLoadMore}>
            Try again
          </button>
        </p>
      )}
    </>
  );
}

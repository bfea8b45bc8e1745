import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api';
import { ErrorMessage, Loading } from '../components';
import { formatCell, formatTimestamp, isTimeType } from '../format';
import { parseSearchState, toSearchParams, type SearchState } from '../searchState';
import { RANGES, rangeLabel, rangeWindow, type RangeKey, type TimeWindow } from '../time';
import type { Column, Row, Source } from '../types';

const PAGE_SIZE = 100;
const SEARCHABLE = new Set(['log', 'trace']);

type Sources = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; sources: Source[] };

type Results =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | {
      kind: 'ready';
      columns: Column[];
      rows: Row[];
      nextCursor: string | null;
      window: TimeWindow;
      elapsedMs: number;
      loadingMore: boolean;
    };

/** The search's source: the one in the URL if the team has it, else the first log source. */
function pickSource(sources: Source[], wanted: number | null): Source | undefined {
  return sources.find((s) => s.id === wanted) ?? sources.find((s) => s.kind === 'log') ?? sources[0];
}

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseSearchState(params), [params]);
  const [sources, setSources] = useState<Sources>({ kind: 'loading' });
  const [draft, setDraft] = useState(state.query);
  const [queryError, setQueryError] = useState<string | null>(null);
  const [results, setResults] = useState<Results>({ kind: 'idle' });
  const [run, setRun] = useState(0);
  const controller = useRef<AbortController | null>(null);

  useEffect(() => {
    let live = true;
    api.sources().then(
      (all) => live && setSources({ kind: 'ready', sources: all.filter((s) => SEARCHABLE.has(s.kind)) }),
      (err: Error) => live && setSources({ kind: 'error', message: err.message }),
    );
    return () => {
      live = false;
    };
  }, []);

  // The box follows the URL (back/forward, a shared link).
  useEffect(() => setDraft(state.query), [state.query]);

  const source = sources.kind === 'ready' ? pickSource(sources.sources, state.source) : undefined;

  const update = useCallback(
    (change: Partial<SearchState>) => {
      setParams(toSearchParams({ ...state, ...change }));
      setRun((n) => n + 1);
    },
    [setParams, state],
  );

  // Search whenever the URL state changes or the user asks again.
  useEffect(() => {
    if (!source) return;
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    const window = rangeWindow(state.range);
    setResults({ kind: 'loading' });
    setQueryError(null);
    api
      .searchRows(
        { source_id: source.id, query: state.query, start: window.start, end: window.end, limit: PAGE_SIZE },
        abort.signal,
      )
      .then(
        (answer) =>
          setResults({
            kind: 'ready',
            columns: answer.columns,
            rows: answer.rows,
            nextCursor: answer.next_cursor,
            window,
            elapsedMs: answer.elapsed_ms,
            loadingMore: false,
          }),
        (err: unknown) => {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && (err.status === 400 || err.status === 422)) {
            setQueryError(err.message);
            setResults({ kind: 'idle' });
          } else {
            setResults({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
          }
        },
      );
    return () => abort.abort();
  }, [source, state.query, state.range, run]);

  async function loadMore() {
    if (results.kind !== 'ready' || !results.nextCursor || !source) return;
    const current = results;
    setResults({ ...current, loadingMore: true });
    try {
      const answer = await api.searchRows({
        source_id: source.id,
        query: state.query,
        start: current.window.start,
        end: current.window.end,
        limit: PAGE_SIZE,
        cursor: current.nextCursor ?? undefined,
      });
      setResults({
        ...current,
        rows: [...current.rows, ...answer.rows],
        nextCursor: answer.next_cursor,
        loadingMore: false,
      });
    } catch (err) {
      setResults({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    update({ query: draft.trim() });
  }

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

  return (
    <section className="page">
      <form className="search-bar" onSubmit={submit} role="search">
        <select
          aria-label="Source"
          value={source.id}
          onChange={(e) => update({ source: Number(e.target.value) })}
        >
          {sources.sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <input
          className="query"
          aria-label="Search query"
          aria-invalid={queryError !== null}
          aria-describedby={queryError ? 'query-error' : undefined}
          placeholder='Search, e.g. level:error "payment failed" service:checkout'
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          spellCheck={false}
        />
        <select
          aria-label="Time range"
          value={state.range}
          onChange={(e) => update({ range: e.target.value as RangeKey })}
        >
          {RANGES.map((range) => (
            <option key={range} value={range}>
              {rangeLabel(range)}
            </option>
          ))}
        </select>
        <button type="submit">Search</button>
      </form>
      {queryError && (
        <p id="query-error" className="error query-error" role="alert">
          {queryError}
        </p>
      )}
      <ResultsView results={results} onMore={() => void loadMore()} range={state.range} />
    </section>
  );
}

function ResultsView({ results, onMore, range }: { results: Results; onMore: () => void; range: RangeKey }) {
  if (results.kind === 'idle') return null;
  if (results.kind === 'loading') return <Loading what="results" />;
  if (results.kind === 'error') return <ErrorMessage message={results.message} />;
  if (results.rows.length === 0) {
    return (
      <div className="empty">
        <p>Nothing matches in the {rangeLabel(range).toLowerCase()}.</p>
        <p className="muted">
          Try a longer time range or a broader search. No data yet? See <Link to="/getting-started">Send data</Link>.
        </p>
      </div>
    );
  }
  return (
    <>
      <p className="muted small-print" data-testid="result-summary">
        {results.rows.length}
        {results.nextCursor ? '+' : ''} {results.rows.length === 1 && !results.nextCursor ? 'row' : 'rows'} ·{' '}
        {Math.round(results.elapsedMs)} ms
      </p>
      <div className="table-wrap">
        <table className="results">
          <thead>
            <tr>
              {results.columns.map((column) => (
                <th key={column.name} title={column.type}>
                  {column.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {results.rows.map((row) => (
              <tr key={row.id}>
                {results.columns.map((column, index) => {
                  const value = row.values[index];
                  const text = isTimeType(column.type) ? formatTimestamp(value) : formatCell(value);
                  return (
                    <td key={column.name} title={formatCell(value)} className={isTimeType(column.type) ? 'time' : ''}>
                      {text}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {results.nextCursor && (
        <button type="button" className="secondary more" disabled={results.loadingMore} onClick={onMore}>
          {results.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  );
}

/**
 * One dashboard: its tiles on the 24-column grid, over one time range, refreshed on a timer. In edit
 * mode tiles are added, edited, moved, resized and deleted; Save writes the whole dashboard (PUT).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import ReactGridLayout, { useContainerWidth, type Layout } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { ChartForm, CHARTABLE_KINDS, formShowsError } from '../charts/ChartForm';
import {
  boardViewParams,
  chartProblem,
  cleanChart,
  DEFAULT_CHART,
  defaultTitle,
  explorerLink,
  parseBoardView,
  rangeToSave,
  REFRESHES,
  refreshLabel,
  refreshMs,
  savedTime,
  type BoardView,
} from '../charts/chartState';
import { ChartView, useChartData } from '../charts/ChartView';
import { Dialog } from '../charts/Dialog';
import { applyLayout, GRID_COLUMNS, newTileId, placeNewTile, ROW_HEIGHT, samePlaces, tilesToLayout } from '../charts/gridLayout';
import { useSources } from '../charts/useSources';
import { chartsApi, dashboardBody, type ChartDef, type Dashboard, type Tile } from '../chartsApi';
import { ErrorMessage, Loading } from '../components';
import { TimePicker } from '../search/TimePicker';
import { rangeLabel, specWindow, type TimeSpec, type TimeWindow } from '../time';
import { useSession } from '../session';
import type { Source } from '../types';
import '../styles/charts.css';

type Loaded = { kind: 'loading' } | { kind: 'error'; message: string; status: number } | { kind: 'ready'; board: Dashboard };

export function DashboardPage() {
  const { dashboardId } = useParams();
  const id = Number(dashboardId);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });

  useEffect(() => {
    if (!Number.isInteger(id) || id <= 0) {
      setLoaded({ kind: 'error', message: 'There is no such dashboard.', status: 404 });
      return;
    }
    const abort = new AbortController();
    setLoaded({ kind: 'loading' });
    chartsApi.dashboard(id, abort.signal).then(
      (board) => setLoaded({ kind: 'ready', board }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        const status = err instanceof ApiError ? err.status : 0;
        const message = status === 404 ? 'There is no such dashboard in this team.' : String((err as Error).message ?? err);
        setLoaded({ kind: 'error', message, status });
      },
    );
    return () => abort.abort();
  }, [id]);

  if (loaded.kind === 'loading') {
    return (
      <section className="page">
        <h1>Dashboard</h1>
        <Loading what="dashboard" />
      </section>
    );
  }
  if (loaded.kind === 'error') {
    return (
      <section className="page">
        <h1>Dashboard</h1>
        <ErrorMessage message={loaded.message} />
        <p>
          <Link to="/dashboards">All dashboards</Link>
        </p>
      </section>
    );
  }
  return <Board key={loaded.board.id} saved={loaded.board} onSaved={(board) => setLoaded({ kind: 'ready', board })} />;
}

type Editor = { mode: 'add' } | { mode: 'edit'; tile: Tile };

function Board({ saved, onSaved }: { saved: Dashboard; onSaved: (board: Dashboard) => void }) {
  const sources = useSources(CHARTABLE_KINDS);
  const canEdit = useSession().me.team.role !== 'viewer';
  const [params, setParams] = useSearchParams();
  const view = useMemo(() => parseBoardView(params, saved), [params, saved]);
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState(false);
  const [tiles, setTiles] = useState<Tile[]>(saved.tiles);
  const [name, setName] = useState(saved.name);
  const [editor, setEditor] = useState<Editor | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const { width, containerRef, mounted } = useContainerWidth();

  const window = useMemo(() => specWindow(view.time), [view.time, tick]);
  const shown = editing ? tiles : saved.tiles;
  const dirty =
    editing &&
    (name !== saved.name ||
      !samePlaces(tiles, saved.tiles) ||
      JSON.stringify(tiles.map((t) => [t.id, t.title, t.chart])) !==
        JSON.stringify(saved.tiles.map((t) => [t.id, t.title, t.chart])));

  // Auto refresh, skipped while the tab is hidden (nobody is looking).
  useEffect(() => {
    // An absolute range shows fixed data: there is nothing new to fetch.
    const every = refreshMs(view.refresh);
    if (!every || view.time.kind === 'absolute') return;
    const timer = setInterval(() => {
      if (!document.hidden) setTick((n) => n + 1);
    }, every);
    return () => clearInterval(timer);
  }, [view.refresh, view.time.kind]);

  // Leaving with unsaved edits asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);

  const setView = useCallback(
    (change: Partial<BoardView>) => setParams(boardViewParams({ ...view, ...change }), { replace: false }),
    [setParams, view],
  );
  const setTime = useCallback((time: TimeSpec) => setView({ time }), [setView]);

  function startEditing() {
    setTiles(saved.tiles);
    setName(saved.name);
    setSaveError(null);
    setEditing(true);
  }

  async function save() {
    setSaving(true);
    setSaveError(null);
    try {
      const board = await chartsApi.saveDashboard(
        saved.id,
        dashboardBody({
          ...saved,
          name: name.trim() || saved.name,
          tiles,
          time_range: rangeToSave(view.time, saved.time_range),
          refresh: view.refresh,
        }),
      );
      onSaved(board);
      setEditing(false);
    } catch (err) {
      setSaveError(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  }

  function onLayoutChange(layout: Layout) {
    if (!editing) return;
    setTiles((current) => {
      const next = applyLayout(current, layout);
      return samePlaces(next, current) ? current : next;
    });
  }

  function saveTile(title: string, chart: ChartDef) {
    if (editor?.mode === 'edit') {
      const id = editor.tile.id;
      setTiles((current) => current.map((t) => (t.id === id ? { ...t, title, chart } : t)));
    } else {
      setTiles((current) => [...current, { id: newTileId(current), ...placeNewTile(current), title, chart }]);
    }
    setEditor(null);
  }

  const layout = useMemo(() => tilesToLayout(shown), [shown]);
  // The dashboard schema keeps relative ranges only: an absolute one lives in the URL alone.
  const absoluteNote = `An absolute range is not saved: the dashboard keeps opening on the ${rangeLabel(
    savedTime(saved).range,
  ).toLowerCase()}.`;
  const sourceList = sources.kind === 'ready' ? sources.sources : [];

  return (
    <section className="page dash-page">
      <div className="dash-head">
        {editing ? (
          <input
            className="dash-name-input"
            aria-label="Dashboard name"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
          />
        ) : (
          <h1>{saved.name}</h1>
        )}
        <span className="chart-toolbar-gap" />
        <TimePicker value={view.time} onChange={setTime} absoluteNote={editing ? absoluteNote : undefined} />
        <label className="dash-refresh">
          <span className="muted">Auto refresh</span>
          <select
            aria-label="Auto refresh"
            value={view.refresh}
            onChange={(e) => setView({ refresh: e.target.value })}
            title={view.time.kind === 'absolute' ? 'Paused: an absolute range shows fixed data.' : undefined}
          >
            {REFRESHES.map((r) => (
              <option key={r} value={r}>
                {refreshLabel(r)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => setTick((n) => n + 1)}>
          Refresh
        </button>
        {editing ? (
          <>
            <button type="button" className="secondary" onClick={() => setEditor({ mode: 'add' })}>
              Add tile
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(false)} disabled={saving}>
              Cancel
            </button>
            <button type="button" onClick={() => void save()} disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
          </>
        ) : (
          canEdit && (
            <button type="button" onClick={startEditing}>
              Edit
            </button>
          )
        )}
      </div>
      {sources.kind === 'error' && <ErrorMessage message={sources.message} />}
      {saveError && <ErrorMessage message={saveError} />}
      {editing && (
        <p className="muted small-print dash-hint">
          Drag a tile by its title to move it, and by its lower right corner to resize it. Save keeps the layout and{' '}
          {view.time.kind === 'relative' ? 'this time range and refresh' : 'this auto refresh'} as the dashboard's
          defaults.{view.time.kind === 'absolute' && <> {absoluteNote}</>}
        </p>
      )}
      <div ref={containerRef} className={`dash-grid-wrap${editing ? ' dash-editing' : ''}`}>
        {shown.length === 0 ? (
          <div className="empty">
            <p>This dashboard has no tiles yet.</p>
            {canEdit && (
              <p>
                <button
                  type="button"
                  onClick={() => {
                    if (!editing) startEditing();
                    setEditor({ mode: 'add' });
                  }}
                >
                  Add a tile
                </button>{' '}
                <span className="muted">
                  or build a chart in <Link to="/charts">Charts</Link> and save it here.
                </span>
              </p>
            )}
          </div>
        ) : (
          mounted && (
            <ReactGridLayout
              width={width}
              layout={layout}
              gridConfig={{ cols: GRID_COLUMNS, rowHeight: ROW_HEIGHT, margin: [12, 12], containerPadding: [0, 0] }}
              dragConfig={{ enabled: editing, handle: '.dash-tile-handle', cancel: '.dash-tile-actions' }}
              resizeConfig={{ enabled: editing, handles: ['se'] }}
              onLayoutChange={onLayoutChange}
            >
              {shown.map((tile) => (
                <div key={tile.id} className="dash-tile" data-testid="dashboard-tile" data-tile-id={tile.id}>
                  <TileView
                    tile={tile}
                    window={window}
                    tick={tick}
                    editing={editing}
                    time={view.time}
                    alertTo={
                      // Only tiles the saved dashboard holds can be watched; viewers cannot make alerts.
                      canEdit && saved.tiles.some((t) => t.id === tile.id)
                        ? `/alerts/new?${new URLSearchParams({ dashboard: String(saved.id), tile: tile.id }).toString()}`
                        : null
                    }
                    onZoom={setTime}
                    onEdit={() => setEditor({ mode: 'edit', tile })}
                    onDelete={() => setTiles((current) => current.filter((t) => t.id !== tile.id))}
                  />
                </div>
              ))}
            </ReactGridLayout>
          )
        )}
      </div>
      {editor && (
        <TileEditor
          tile={editor.mode === 'edit' ? editor.tile : null}
          sources={sourceList}
          window={window}
          onClose={() => setEditor(null)}
          onSave={saveTile}
        />
      )}
    </section>
  );
}

function TileView({
  tile,
  window,
  tick,
  editing,
  time,
  alertTo,
  onZoom,
  onEdit,
  onDelete,
}: {
  tile: Tile;
  window: TimeWindow;
  tick: number;
  editing: boolean;
  time: TimeSpec;
  /** The new-alert page prefilled with this tile; null when no alert can be made from it. */
  alertTo: string | null;
  onZoom: (time: TimeSpec) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const title = tile.title || (tile.chart.display === 'markdown' ? '' : defaultTitle(tile.chart));
  return (
    <article className="dash-tile-inner" aria-label={title || 'Text'}>
      <header className={`dash-tile-head${editing ? ' dash-tile-handle' : ''}`}>
        <h2 className="dash-tile-title" title={title}>
          {title}
        </h2>
        <div className="dash-tile-actions">
          {editing ? (
            <>
              <button type="button" className="secondary small" onClick={onEdit} aria-label={`Edit tile ${title}`}>
                Edit
              </button>
              <button type="button" className="secondary small" onClick={onDelete} aria-label={`Delete tile ${title}`}>
                Delete
              </button>
            </>
          ) : (
            tile.chart.display !== 'markdown' && (
              <>
                {alertTo && (
                  <Link
                    className="dash-tile-open small-print"
                    to={alertTo}
                    title="Create an alert on this tile's value"
                    aria-label={`Create an alert on ${title}`}
                  >
                    Alert
                  </Link>
                )}
                <Link
                  className="dash-tile-open small-print"
                  to={explorerLink({ ...tile.chart, display: tile.chart.display }, time)}
                  title="Open in the chart explorer"
                >
                  Explore
                </Link>
              </>
            )
          )}
        </div>
      </header>
      <div className="dash-tile-body">
        {tile.chart.display === 'markdown' ? (
          <div className="dash-text">{tile.chart.markdown ?? ''}</div>
        ) : (
          <TileChart chart={tile.chart} window={window} tick={tick} onZoom={editing ? undefined : onZoom} title={title} />
        )}
      </div>
    </article>
  );
}

function TileChart({
  chart,
  window,
  tick,
  onZoom,
  title,
}: {
  chart: ChartDef;
  window: TimeWindow;
  tick: number;
  onZoom?: (time: TimeSpec) => void;
  title: string;
}) {
  const data = useChartData(chart, window, tick);
  return <ChartView chart={chart} data={data} onZoom={onZoom} legend="compact" title={title} />;
}

/** Add or edit a tile: the explorer's form, a preview, and a title. */
function TileEditor({
  tile,
  sources,
  window,
  onClose,
  onSave,
}: {
  tile: Tile | null;
  sources: Source[];
  window: TimeWindow;
  onClose: () => void;
  onSave: (title: string, chart: ChartDef) => void;
}) {
  const initial: ChartDef = tile?.chart ?? { ...DEFAULT_CHART, source_id: sources.find((s) => s.kind === 'log')?.id ?? sources[0]?.id ?? null };
  const [draft, setDraft] = useState<ChartDef>(initial);
  const [preview, setPreview] = useState<ChartDef>(initial);
  const [title, setTitle] = useState(tile?.title ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const data = useChartData(preview, window);
  const error = data.kind === 'error' ? data.error : null;

  function save() {
    const found = chartProblem(draft);
    if (draft.display === 'markdown' && !(draft.markdown ?? '').trim()) {
      setProblem('Write the text of the tile.');
      return;
    }
    if (found) {
      setProblem(found.message);
      return;
    }
    const chart = cleanChart(draft);
    onSave(title.trim() || (chart.display === 'markdown' ? '' : defaultTitle(chart)), chart);
  }

  return (
    <Dialog title={tile ? 'Edit tile' : 'Add tile'} onClose={onClose} wide>
      <label className="chart-control chart-wide dash-title-field">
        <span>Title</span>
        <input
          aria-label="Title"
          value={title}
          maxLength={200}
          placeholder={defaultTitle(draft)}
          onChange={(e) => setTitle(e.target.value)}
        />
      </label>
      <ChartForm
        chart={draft}
        sources={sources}
        allowText
        error={error}
        running={data.kind === 'loading'}
        onChange={(next, apply) => {
          setDraft(next);
          setProblem(null);
          if (apply) setPreview(next);
        }}
        onSubmit={() => setPreview(draft)}
      />
      {draft.display !== 'markdown' && (
        <div className={`chart-panel dash-preview chart-panel-${preview.display}`}>
          <ChartView
            chart={preview}
            data={data}
            title={title.trim()}
            showErrors={!formShowsError(error, draft.series.length)}
            legend="compact"
          />
        </div>
      )}
      {problem && <ErrorMessage message={problem} />}
      <div className="chart-dialog-actions">
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" onClick={save}>
          {tile ? 'Apply' : 'Add to dashboard'}
        </button>
      </div>
    </Dialog>
  );
}

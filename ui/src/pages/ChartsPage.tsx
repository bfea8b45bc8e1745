/** The chart explorer: build a chart over any log, trace, metric or session source, share it by URL, save it to a dashboard. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { ChartForm, CHARTABLE_KINDS, fitSource, formShowsError } from '../charts/ChartForm';
import {
  cleanChart,
  defaultTitle,
  explorerParams,
  parseExplorer,
  rangeToSave,
  type ChartConfig,
  type ExplorerState,
} from '../charts/chartState';
import { ChartView, useChartData } from '../charts/ChartView';
import { Dialog } from '../charts/Dialog';
import { placeNewTile, newTileId } from '../charts/gridLayout';
import { useSources } from '../charts/useSources';
import { chartsApi, dashboardBody, type ChartDef, type Dashboard } from '../chartsApi';
import { ErrorMessage, Loading } from '../components';
import { TimePicker } from '../search/TimePicker';
import { specWindow, type TimeSpec } from '../time';
import { useSession } from '../session';
import type { Source } from '../types';
import '../styles/charts.css';

function pickSource(sources: Source[], wanted: number | null): Source | undefined {
  return sources.find((s) => s.id === wanted) ?? sources.find((s) => s.kind === 'log') ?? sources[0];
}

export function ChartsPage() {
  const sources = useSources(CHARTABLE_KINDS);
  return (
    <section className="page chart-page">
      <h1>Charts</h1>
      {sources.kind === 'loading' && <Loading what="sources" />}
      {sources.kind === 'error' && <ErrorMessage message={sources.message} />}
      {sources.kind === 'ready' &&
        (sources.sources.length === 0 ? (
          <div className="empty">
            <p>There is no log, trace, metric or session source to chart.</p>
            <p className="muted">
              An admin can add one in <Link to="/team">Team settings</Link>.
            </p>
          </div>
        ) : (
          <Explorer sources={sources.sources} />
        ))}
    </section>
  );
}

function Explorer({ sources }: { sources: Source[] }) {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseExplorer(params), [params]);
  const source = pickSource(sources, state.chart.source_id);
  // A link may name a metric source with event series (or the reverse): the series then start over.
  const applied: ChartConfig = useMemo(
    () => ({ ...fitSource(state.chart, source), display: state.chart.display }),
    [state.chart, source],
  );
  const [draft, setDraft] = useState<ChartDef>(applied);
  const [run, setRun] = useState(0);
  const [saving, setSaving] = useState(false);
  const canSave = useSession().me.team.role !== 'viewer';

  // The form follows the URL (back/forward, a shared link).
  const appliedKey = JSON.stringify(applied);
  useEffect(() => setDraft(JSON.parse(appliedKey) as ChartConfig), [appliedKey]);

  // A relative window is computed when the chart is asked for, and again on Run.
  const window = useMemo(() => specWindow(state.time), [state.time, run]);
  const data = useChartData(applied, window, run);

  const commit = useCallback(
    (next: Partial<ExplorerState>) => {
      const merged: ExplorerState = { chart: applied, time: state.time, ...next };
      const nextParams = explorerParams(merged);
      if (nextParams.toString() === params.toString()) setRun((n) => n + 1);
      else setParams(nextParams);
    },
    [applied, state.time, params, setParams],
  );

  function change(next: ChartDef, apply: boolean) {
    setDraft(next);
    if (apply && next.display !== 'markdown') commit({ chart: { ...next, display: next.display } });
  }

  function submit() {
    if (draft.display !== 'markdown') commit({ chart: { ...draft, display: draft.display } });
  }

  const setTime = (time: TimeSpec) => commit({ time });
  const error = data.kind === 'error' ? data.error : null;
  const errorInForm = formShowsError(error, draft.series.length);

  return (
    <>
      <div className="chart-toolbar">
        <TimePicker value={state.time} onChange={setTime} />
        <button type="button" className="secondary" onClick={() => setRun((n) => n + 1)}>
          Refresh
        </button>
        <span className="chart-toolbar-gap" />
        {canSave && (
          <button type="button" onClick={() => setSaving(true)} disabled={data.kind !== 'ready'}>
            Save to dashboard
          </button>
        )}
      </div>
      <ChartForm
        chart={draft}
        sources={sources}
        onChange={change}
        onSubmit={submit}
        error={error}
        running={data.kind === 'loading'}
      />
      <div className={`chart-panel chart-panel-${applied.display}`} data-testid="explorer-chart">
        <ChartView
          chart={applied}
          data={data}
          showErrors={!errorInForm}
          onZoom={setTime}
        />
      </div>
      {applied.display !== 'number' && applied.display !== 'table' && (
        <p className="muted small-print">Drag across the chart to zoom into a time window.</p>
      )}
      {saving && <SaveDialog chart={applied} time={state.time} onClose={() => setSaving(false)} />}
    </>
  );
}

const NEW = 'new';

type Boards = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; boards: Dashboard[] };

/** Save the chart as a tile of an existing dashboard or of a new one, then open that dashboard. */
function SaveDialog({ chart, time, onClose }: { chart: ChartConfig; time: TimeSpec; onClose: () => void }) {
  const navigate = useNavigate();
  const [boards, setBoards] = useState<Boards>({ kind: 'loading' });
  const [target, setTarget] = useState<string>(NEW);
  const [name, setName] = useState('');
  const [title, setTitle] = useState(defaultTitle(chart));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    chartsApi.dashboards(abort.signal).then(
      (all) => {
        setBoards({ kind: 'ready', boards: all });
        if (all[0]) setTarget(String(all[0].id));
      },
      (err: unknown) => {
        if (!abort.signal.aborted) setBoards({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => abort.abort();
  }, []);

  async function save() {
    setBusy(true);
    setError(null);
    const saved = cleanChart(chart);
    try {
      let board: Dashboard;
      if (target === NEW) {
        const place = placeNewTile([]);
        board = await chartsApi.createDashboard({
          name: name.trim(),
          tags: [],
          time_range: rangeToSave(time, null),
          refresh: 'off',
          tiles: [{ id: newTileId([]), ...place, title: title.trim(), chart: saved }],
        });
      } else {
        const current = await chartsApi.dashboard(Number(target));
        const tile = { id: newTileId(current.tiles), ...placeNewTile(current.tiles), title: title.trim(), chart: saved };
        board = await chartsApi.saveDashboard(current.id, dashboardBody({ ...current, tiles: [...current.tiles, tile] }));
      }
      navigate(`/dashboards/${board.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
      setBusy(false);
    }
  }

  const nameMissing = target === NEW && name.trim() === '';
  return (
    <Dialog title="Save to dashboard" onClose={onClose}>
      {boards.kind === 'loading' && <Loading what="dashboards" />}
      {boards.kind === 'error' && <ErrorMessage message={boards.message} />}
      {boards.kind === 'ready' && (
        <form
          className="chart-dialog-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!nameMissing) void save();
          }}
        >
          <label>
            <span>Tile title</span>
            <input aria-label="Tile title" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <label>
            <span>Dashboard</span>
            <select aria-label="Dashboard" value={target} onChange={(e) => setTarget(e.target.value)}>
              {boards.boards.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
              <option value={NEW}>A new dashboard…</option>
            </select>
          </label>
          {target === NEW && (
            <label>
              <span>New dashboard name</span>
              <input
                aria-label="New dashboard name"
                value={name}
                maxLength={200}
                required
                onChange={(e) => setName(e.target.value)}
                autoFocus
              />
            </label>
          )}
          {target === NEW && time.kind === 'absolute' && (
            <p className="muted small-print">
              Dashboards keep relative ranges only: the new one opens on the last hour.
            </p>
          )}
          {error && <ErrorMessage message={error.message} />}
          <div className="chart-dialog-actions">
            <button type="button" className="secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" disabled={busy || nameMissing}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

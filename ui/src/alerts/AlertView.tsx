/** /alerts/<id>: what the alert watches, its state and groups, its history as a chart and a table, silencing. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { silenceUntil, thresholdText } from '../alertForm';
import { alertsApi, type Alert, type HistoryPage } from '../alertsApi';
import { ErrorMessage, Loading } from '../components';
import { useSession } from '../session';
import { canDo } from '../teamLogic';
import { LoadedList } from '../ui/LoadedList';
import { messageOf } from '../ui/problems';
import { useLoad } from '../ui/useLoad';
import { When } from '../ui/When';
import { AlertTabs } from './AlertTabs';
import { GroupTable, HistoryTable } from './HistoryTable';
import { HistoryChart } from './HistoryChart';
import { loadLookups, watches, watchLink, type Lookups } from './lookups';
import { SilenceSection } from './NotifySection';
import { StateBadges } from './StateBadges';
import { historyChart, mergeHistory, thresholdOf, valueText } from './status';

const REFRESH_MS = 30_000;
const PAGE = 200;

export function AlertView() {
  const { alertId } = useParams();
  const id = Number(alertId);
  const valid = Number.isInteger(id) && id > 0;
  const { state, reload, update } = useLoad(async (signal) => {
    if (!valid) throw new Error('No such alert.');
    const [alert, lookups] = await Promise.all([alertsApi.alert(id, signal), loadLookups(signal)]);
    return { alert, lookups };
  }, alertId ?? '');
  const history = useHistory(valid ? id : null);
  const { refresh } = history;
  useEffect(() => {
    const timer = window.setInterval(() => {
      reload();
      refresh();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload, refresh]);

  return (
    <LoadedList state={state} what="the alert">
      {({ alert, lookups }) => (
        <Overview
          alert={alert}
          lookups={lookups}
          history={history}
          onChanged={(changed) => update((value) => ({ ...value, alert: changed }))}
          onRefresh={() => {
            reload();
            refresh();
          }}
        />
      )}
    </LoadedList>
  );
}

type HistoryState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; page: HistoryPage; id: number };

/** The history's pages: the newest on load and on refresh (older pages kept), older ones on demand. */
function useHistory(id: number | null) {
  const [loaded, setState] = useState<HistoryState>({ kind: 'loading' });
  // Another alert's pages never show (nor merge) while this one's load.
  const state: HistoryState = loaded.kind === 'ready' && loaded.id !== id ? { kind: 'loading' } : loaded;
  const [older, setOlder] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (id === null) return;
    const controller = new AbortController();
    alertsApi.history(id, { limit: PAGE }, controller.signal).then(
      (fresh) =>
        setState((current) => ({
          kind: 'ready',
          id,
          page: mergeHistory(current.kind === 'ready' && current.id === id ? current.page : null, fresh),
        })),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ kind: 'error', message: messageOf(err) });
      },
    );
    return () => controller.abort();
  }, [id, round]);
  const refresh = useCallback(() => setRound((n) => n + 1), []);
  const loadOlder = useCallback(async () => {
    if (id === null || state.kind !== 'ready' || state.page.next_before === null) return;
    setOlder({ busy: true, error: null });
    try {
      const page = await alertsApi.history(id, { limit: PAGE, before: state.page.next_before });
      setState({ kind: 'ready', id, page: { items: [...state.page.items, ...page.items], next_before: page.next_before } });
      setOlder({ busy: false, error: null });
    } catch (err) {
      setOlder({ busy: false, error: messageOf(err) });
    }
  }, [id, state]);
  return { state, refresh, loadOlder, older };
}

type History = ReturnType<typeof useHistory>;

function noticeFrom(state: unknown): string | null {
  return typeof state === 'object' && state !== null && 'notice' in state ? String(state.notice) : null;
}

function Overview({
  alert,
  lookups,
  history,
  onChanged,
  onRefresh,
}: {
  alert: Alert;
  lookups: Lookups;
  history: History;
  onChanged: (alert: Alert) => void;
  onRefresh: () => void;
}) {
  const { me } = useSession();
  const location = useLocation();
  const canWrite = canDo(me.team.role, 'member');
  const [notice] = useState(() => noticeFrom(location.state));
  const [silenceProblem, setSilenceProblem] = useState<string | undefined>();
  const link = watchLink(alert, lookups);
  const { status } = alert;

  async function silence(choice: string | null) {
    setSilenceProblem(undefined);
    try {
      onChanged(choice ? await alertsApi.silence(alert.id, silenceUntil(choice)) : await alertsApi.unsilence(alert.id));
    } catch (err) {
      setSilenceProblem(messageOf(err));
    }
  }

  return (
    <div className="alert-view">
      <div className="alert-editor-head">
        <h2>
          Alert “{alert.name}” <StateBadges alert={alert} />
        </h2>
        <Link to="/alerts">← All alerts</Link>
      </div>
      <AlertTabs id={alert.id} active="overview" />
      {notice && (
        <p className="ok" role="status">
          {notice}
        </p>
      )}
      <dl className="alert-facts">
        <dt>Watches</dt>
        <dd>
          {watches(alert, lookups)} {link && <Link to={link}>Open</Link>}
        </dd>
        <dt>Fires when</dt>
        <dd>
          <code>
            {alert.kind === 'search' ? 'count' : 'value'} {thresholdText(alert)}
          </code>{' '}
          in a {alert.interval} window
          {alert.windows > 1 ? `, ${alert.windows} windows in a row` : ''}
          {alert.group_by.length > 0 ? `, per ${alert.group_by.join(', ')}` : ''}
        </dd>
        <dt>Last value</dt>
        <dd>
          <strong className="alert-value">{valueText(status.last_value)}</strong>
          {status.last_window_end && (
            <span className="muted">
              {' '}
              for the window ending <When value={status.last_window_end} />
            </span>
          )}
        </dd>
        <dt>Last evaluated</dt>
        <dd>
          <When value={status.last_evaluated_at} empty="not evaluated yet" />{' '}
          <button type="button" className="secondary small" onClick={onRefresh}>
            Refresh
          </button>
        </dd>
        {status.last_error && (
          <>
            <dt>Last error</dt>
            <dd className="alert-error-text">{status.last_error}</dd>
          </>
        )}
      </dl>
      <SilenceSection alert={alert} canWrite={canWrite} problem={silenceProblem} onSilence={silence} />
      {alert.group_by.length > 0 && (
        <section className="alert-block" aria-label="Groups">
          <h3>Groups</h3>
          <GroupTable groups={status.groups} />
        </section>
      )}
      <HistoryBlock alert={alert} lookups={lookups} history={history} />
    </div>
  );
}

function HistoryBlock({ alert, lookups, history }: { alert: Alert; lookups: Lookups; history: History }) {
  const { state, loadOlder, older } = history;
  const items = state.kind === 'ready' ? state.page.items : null;
  const chart = useMemo(() => historyChart(items ?? []), [items]);
  const threshold = useMemo(() => thresholdOf(alert), [alert]);
  if (state.kind === 'loading') return <Loading what="the history" />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  const { page } = state;
  return (
    <>
      <section className="alert-block" aria-label="History chart">
        <h3>History</h3>
        {page.items.length === 0 ? (
          <p className="muted">
            No evaluations yet: the first comes a little after the current {alert.interval} window ends
            {alert.enabled ? '.' : ', once the alert is enabled.'}
          </p>
        ) : (
          <HistoryChart data={chart} threshold={threshold} label={`Values of ${alert.name} per window`} />
        )}
      </section>
      {page.items.length > 0 && (
        <section className="alert-block" aria-label="Evaluations">
          <h3>Evaluations</h3>
          <HistoryTable items={page.items} alert={alert} lookups={lookups} />
          <div className="team-buttons">
            <span className="muted small-print">
              {page.items.length} evaluation{page.items.length === 1 ? '' : 's'} loaded, newest first.
            </span>
            {page.next_before !== null && (
              <button type="button" className="secondary small" disabled={older.busy} onClick={() => void loadOlder()}>
                {older.busy ? 'Loading…' : 'Load older evaluations'}
              </button>
            )}
          </div>
          {older.error && <ErrorMessage message={older.error} />}
        </section>
      )}
    </>
  );
}

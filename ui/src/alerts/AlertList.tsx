import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { isSilenced, thresholdText } from '../alertForm';
import { alertsApi, type Alert } from '../alertsApi';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { useSession } from '../session';
import { canDo } from '../teamLogic';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useLoad } from '../ui/useLoad';
import { When } from '../ui/When';
import { loadLookups, watches, type Lookups } from './lookups';
import { StateBadges } from './StateBadges';
import { groupsText, sortAlerts, valueText } from './status';

/** States change every window: the list reloads itself this often (without flicker). */
const REFRESH_MS = 30_000;

export function AlertList() {
  const { me } = useSession();
  const canWrite = canDo(me.team.role, 'member');
  const { state, reload } = useLoad(async (signal) => {
    const [alerts, lookups] = await Promise.all([alertsApi.alerts(signal), loadLookups(signal)]);
    return { alerts: sortAlerts(alerts), lookups };
  });
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  return (
    <LoadedList state={state} what="alerts">
      {({ alerts, lookups }) => (
        <>
          <div className="alert-toolbar">
            {canWrite ? (
              <Link className="alert-button" to="/alerts/new">
                New alert
              </Link>
            ) : (
              <span className="muted">Viewers read alerts; members and admins make and change them.</span>
            )}
            {alerts.length > 0 && <Summary alerts={alerts} />}
          </div>
          {alerts.length === 0 ? (
            <div className="empty">
              <p>No alerts yet.</p>
              <p className="muted">
                An alert counts the rows of a saved search (or a query on a source), or watches a dashboard chart, and
                tells its channels when the number crosses a threshold. Start from a search (“Create alert”) or a
                dashboard tile (“Alert”), or with New alert.
              </p>
            </div>
          ) : (
            <AlertTable alerts={alerts} lookups={lookups} />
          )}
        </>
      )}
    </LoadedList>
  );
}

/** "2 firing · 1 pending" over the table. */
function Summary({ alerts }: { alerts: Alert[] }) {
  const count = (state: string) => alerts.filter((alert) => alert.enabled && alert.status.state === state).length;
  const firing = count('alert');
  const pending = count('pending');
  return (
    <span className="alert-summary" role="status">
      {firing > 0 ? <strong className="alert-firing-text">{firing} firing</strong> : <span className="muted">none firing</span>}
      {pending > 0 && <span> · {pending} pending</span>}
    </span>
  );
}

function AlertTable({ alerts, lookups }: { alerts: Alert[]; lookups: Lookups }) {
  const webhookName = (id: number) => lookups.webhooks.find((one) => one.id === id)?.name ?? `#${id}`;
  return (
    <RecordTable
      rows={alerts}
      rowKey={(alert) => alert.id}
      rowData={(alert) => ({ 'data-alert-id': alert.id, 'data-state': alert.status.state })}
      columns={[
        { title: 'State', cell: (alert) => <AlertState alert={alert} /> },
        {
          title: 'Name',
          cell: (alert) => (
            <>
              <Link to={`/alerts/${alert.id}`}>{alert.name}</Link>
              <div className="muted small-print alert-watch">{watches(alert, lookups)}</div>
            </>
          ),
        },
        {
          title: 'Last value',
          cell: (alert) => (
            <>
              <strong className="alert-value">{valueText(alert.status.last_value)}</strong>{' '}
              <code className="muted">
                {alert.kind === 'search' ? 'count' : 'value'} {thresholdText(alert)}
              </code>
              {groupsText(alert) && <div className="muted small-print">{groupsText(alert)}</div>}
              {alert.group_by.length > 0 && <div className="muted small-print">per {alert.group_by.join(', ')}</div>}
            </>
          ),
        },
        {
          title: 'Every',
          cell: (alert) => (
            <>
              {alert.interval}
              {alert.windows > 1 && <span className="muted"> × {alert.windows}</span>}
            </>
          ),
        },
        { title: 'Last evaluated', cell: (alert) => <When value={alert.status.last_evaluated_at} empty="never" /> },
        {
          title: 'Channels',
          cell: (alert) =>
            alert.channels.length === 0 ? <span className="muted">none</span> : alert.channels.map(webhookName).join(', '),
        },
      ]}
    />
  );
}

function AlertState({ alert }: { alert: Alert }) {
  const { prefs } = usePrefs();
  return (
    <div className="alert-state">
      <StateBadges alert={alert} />
      {isSilenced(alert) && alert.silenced_until && (
        <span className="muted small-print">silenced until {formatInstant(alert.silenced_until, prefs, { ms: false })}</span>
      )}
      {alert.status.last_error && (
        <span className="alert-error-text small-print" title={alert.status.last_error}>
          Error: {alert.status.last_error}
        </span>
      )}
    </div>
  );
}

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
import { Status } from '../ui/Status';
import { loadLookups, watches, type Lookups } from './lookups';

export function AlertList() {
  const { me } = useSession();
  const canWrite = canDo(me.team.role, 'member');
  const { state } = useLoad(async (signal) => {
    const [alerts, lookups] = await Promise.all([alertsApi.alerts(signal), loadLookups(signal)]);
    return { alerts, lookups };
  });
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
          </div>
          {alerts.length === 0 ? (
            <div className="empty">
              <p>No alerts yet.</p>
              <p className="muted">
                An alert counts the rows of a saved search (or a query on a source), or watches a dashboard chart, and
                tells webhooks when the number crosses a threshold.
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

function AlertTable({ alerts, lookups }: { alerts: Alert[]; lookups: Lookups }) {
  const webhookName = (id: number) => lookups.webhooks.find((one) => one.id === id)?.name ?? `#${id}`;
  return (
    <RecordTable
      rows={alerts}
      rowKey={(alert) => alert.id}
      columns={[
        { title: 'Name', cell: (alert) => <Link to={`/alerts/${alert.id}`}>{alert.name}</Link> },
        { title: 'Kind', cell: (alert) => alert.kind },
        { title: 'Watches', cell: (alert) => watches(alert, lookups), className: 'alert-watch' },
        {
          title: 'Fires when',
          cell: (alert) => (
            <>
              <code>
                {alert.kind === 'search' ? 'count' : 'value'} {thresholdText(alert)}
              </code>
              {alert.group_by.length > 0 && <div className="muted small-print">per {alert.group_by.join(', ')}</div>}
            </>
          ),
        },
        {
          title: 'Every',
          cell: (alert) => (
            <>
              {alert.interval}
              {alert.windows > 1 && <span className="muted"> × {alert.windows} windows</span>}
            </>
          ),
        },
        {
          title: 'Channels',
          cell: (alert) =>
            alert.channels.length === 0 ? <span className="muted">none</span> : alert.channels.map(webhookName).join(', '),
        },
        { title: 'State', cell: (alert) => <AlertState alert={alert} />, className: 'alert-state' },
      ]}
    />
  );
}

function AlertState({ alert }: { alert: Alert }) {
  const { prefs } = usePrefs();
  return (
    <>
      <Status status={alert.enabled ? 'active' : 'disabled'}>{alert.enabled ? 'enabled' : 'disabled'}</Status>
      {isSilenced(alert) && alert.silenced_until && (
        <Status status="silenced">silenced until {formatInstant(alert.silenced_until, prefs, { ms: false })}</Status>
      )}
      <span className="muted small-print">not evaluated yet</span>
    </>
  );
}

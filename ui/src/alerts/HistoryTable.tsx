/** The tables of an alert's page: its groups' states, and its evaluations (newest first). */
import { Link } from 'react-router-dom';
import type { Alert, GroupStatus, HistoryEntry } from '../alertsApi';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { RecordTable } from '../ui/RecordTable';
import { When } from '../ui/When';
import { watchLink, type Lookups } from './lookups';
import { groupLabel, notificationText, valueText } from './status';

export function GroupTable({ groups }: { groups: GroupStatus[] }) {
  if (groups.length === 0) return <p className="muted">No groups yet: they appear with the first evaluation.</p>;
  return (
    <RecordTable
      rows={groups}
      rowKey={(group) => JSON.stringify(group.key)}
      columns={[
        { title: 'Group', cell: (group) => group.label || groupLabel(group.key) },
        {
          title: 'State',
          cell: (group) => (
            <span className={`alert-badge alert-badge-${group.state}`}>{group.state === 'alert' ? 'ALERT' : 'OK'}</span>
          ),
        },
        { title: 'Last value', cell: (group) => valueText(group.value), className: 'alert-number-cell' },
        { title: 'Breaching windows in a row', cell: (group) => group.breaches, className: 'alert-number-cell' },
        { title: 'Since', cell: (group) => <When value={group.since} /> },
        { title: 'Last window end', cell: (group) => <When value={group.last_window_end} /> },
      ]}
    />
  );
}

function Window({ entry }: { entry: HistoryEntry }) {
  const { prefs } = usePrefs();
  return (
    <time dateTime={entry.window_start}>
      {formatInstant(entry.window_start, prefs, { ms: false })} – {formatInstant(entry.window_end, prefs, { ms: false, date: false })}
    </time>
  );
}

export function HistoryTable({ items, alert, lookups }: { items: HistoryEntry[]; alert: Alert; lookups: Lookups }) {
  const grouped = alert.group_by.length > 0;
  return (
    <div className="alert-history-table">
      <RecordTable
        rows={items}
        rowKey={(entry) => entry.id}
        rowData={(entry) => ({ 'data-notification': entry.notification, 'data-state': entry.state })}
        columns={[
          {
            title: 'Window',
            cell: (entry) => {
              const link = watchLink(alert, lookups, { start: entry.window_start, end: entry.window_end });
              return link ? (
                <Link to={link} title="Open what the alert watches in this window">
                  <Window entry={entry} />
                </Link>
              ) : (
                <Window entry={entry} />
              );
            },
          },
          ...(grouped ? [{ title: 'Group', cell: (entry: HistoryEntry) => groupLabel(entry.group) }] : []),
          {
            title: 'Value',
            cell: (entry) => (
              <span className={entry.breached ? 'alert-breached' : undefined}>
                {valueText(entry.value)}
                {entry.breached && <span className="alert-breach-mark"> breached</span>}
              </span>
            ),
            className: 'alert-number-cell',
          },
          {
            title: 'State',
            cell: (entry) => (
              <span className={`alert-badge alert-badge-${entry.state}`}>{entry.state === 'alert' ? 'ALERT' : 'OK'}</span>
            ),
          },
          {
            title: 'Notification',
            cell: (entry) =>
              entry.notification === 'none' ? (
                <span className="muted">—</span>
              ) : (
                <span className={`alert-notification alert-notification-${entry.notification}`}>{notificationText(entry)}</span>
              ),
          },
          {
            title: 'Query',
            cell: (entry) => (entry.query_ms === null ? '—' : `${Math.round(entry.query_ms)} ms`),
            className: 'alert-number-cell',
          },
          {
            title: 'Error',
            cell: (entry) => (entry.error ? <span className="alert-error-text">{entry.error}</span> : ''),
          },
          { title: 'Evaluated', cell: (entry) => <When value={entry.evaluated_at} /> },
        ]}
      />
    </div>
  );
}

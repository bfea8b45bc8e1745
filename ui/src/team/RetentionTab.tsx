import { teamApi, type SourceRetention, type TableRetention } from '../teamApi';
import { durationWords } from '../teamLogic';
import { LoadedList } from '../ui/LoadedList';
import { useLoad } from '../ui/useLoad';

/** How long a table keeps its rows, in words. */
function Keeps({ table }: { table: TableRetention }) {
  if (!table.exists) return <span className="error">no such table</span>;
  if (table.ttl === null) return <>forever (no TTL)</>;
  if (table.seconds !== null) return <>{durationWords(table.seconds)}</>;
  return <span className="muted">see the TTL</span>;
}

/** A source's rows: one per table, its name and kind on the first; or the error reading them. */
function SourceRows({ source }: { source: SourceRetention }) {
  if (source.error !== null) {
    return (
      <tr>
        <td>{source.source_name}</td>
        <td>{source.kind}</td>
        <td colSpan={3}>
          <span className="error">{source.error}</span>
        </td>
      </tr>
    );
  }
  return (
    <>
      {source.tables.map((table, index) => (
        <tr key={table.table}>
          <td>{index === 0 ? source.source_name : ''}</td>
          <td>{index === 0 ? source.kind : ''}</td>
          <td>
            <code>
              {table.database}.{table.table}
            </code>
          </td>
          <td data-testid="retention-duration">
            <Keeps table={table} />
          </td>
          <td>{table.ttl ? <code>{table.ttl}</code> : <span className="muted">none</span>}</td>
        </tr>
      ))}
    </>
  );
}

export function RetentionTab() {
  const { state } = useLoad((signal) => teamApi.retention(signal));
  return (
    <>
      <p className="muted">
        How long ClickHouse keeps each source's rows, read from the tables' TTL. For this server's own tables it is set
        by <code>OTELHOUSE_TTL_LOGS</code>, <code>_TRACES</code>, <code>_METRICS</code> and <code>_SESSIONS</code>;
        changing it from here comes in a later release.
      </p>
      <LoadedList state={state} what="retention" empty={<p className="empty">The team has no sources.</p>}>
        {(sources) => (
          <div className="table-wrap">
            <table className="team-table" aria-label="Retention">
              <thead>
                <tr>
                  <th>Source</th>
                  <th>Kind</th>
                  <th>Table</th>
                  <th>Keeps rows for</th>
                  <th>TTL as ClickHouse reports it</th>
                </tr>
              </thead>
              <tbody>
                {sources.map((source) => (
                  <SourceRows key={source.source_id} source={source} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </LoadedList>
    </>
  );
}

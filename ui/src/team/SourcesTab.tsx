import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { teamApi, type SourceDetail } from '../teamApi';
import { canDo } from '../teamLogic';
import { EditDeleteButtons } from '../ui/ConfirmButton';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useAction } from '../ui/useAction';
import { recordOf, useEditor } from '../ui/useEditor';
import { useLoad } from '../ui/useLoad';
import { SourceEditor } from './SourceEditor';

export function SourcesTab() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const sources = useLoad((signal) => teamApi.sources(signal));
  const connections = useLoad((signal) => teamApi.connections(signal));
  const { editing, edit, done } = useEditor<SourceDetail>(sources.reload);
  const action = useAction();
  const connectionName = (id: number) =>
    connections.state.kind === 'ready' ? (connections.state.value.find((one) => one.id === id)?.name ?? `#${id}`) : `#${id}`;

  const remove = (source: SourceDetail) =>
    action.run(async () => {
      await teamApi.deleteSource(source.id);
      sources.reload();
    });

  return (
    <>
      {isAdmin && editing === null && (
        <button type="button" onClick={() => edit('new')}>
          New source
        </button>
      )}
      {editing !== null && connections.state.kind === 'ready' && (
        <SourceEditor source={recordOf(editing)} connections={connections.state.value} onDone={done} />
      )}
      {action.error && <ErrorMessage message={action.error} />}
      <h2>Sources</h2>
      <LoadedList
        state={sources.state}
        what="sources"
        empty={<p className="empty">The team has no sources: search has nothing to look in.</p>}
      >
        {(list) => (
          <RecordTable
            rows={list}
            rowKey={(source) => source.id}
            columns={[
              { title: 'Name', cell: (source) => source.name },
              { title: 'Kind', cell: (source) => source.kind },
              { title: 'Connection', cell: (source) => connectionName(source.connection_id) },
              {
                title: 'Table',
                cell: (source) => (
                  <code>
                    {source.database}.{source.table}
                  </code>
                ),
              },
              { title: 'Timestamp', cell: (source) => <code>{String(source.columns.timestamp ?? '')}</code> },
            ]}
            actions={(source) =>
              isAdmin && <EditDeleteButtons name={source.name} onEdit={() => edit(source)} onDelete={() => remove(source)} />
            }
          />
        )}
      </LoadedList>
      {!isAdmin && <p className="muted small-print">Only admins add and change sources.</p>}
    </>
  );
}

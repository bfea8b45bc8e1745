import { useState, type ReactNode } from 'react';
import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { teamApi, type Connection } from '../teamApi';
import { canDo } from '../teamLogic';
import { EditDeleteButtons } from '../ui/ConfirmButton';
import { LoadedList } from '../ui/LoadedList';
import { messageOf } from '../ui/problems';
import { RecordTable } from '../ui/RecordTable';
import { useAction } from '../ui/useAction';
import { recordOf, useEditor } from '../ui/useEditor';
import { useLoad } from '../ui/useLoad';
import { When } from '../ui/When';
import { ConnectionEditor } from './ConnectionEditor';
import { TestResultLine, type TestState } from './ConnectionTest';

/** The default connection is the server's own ClickHouse: it has no user or password to show. */
const notDefault = (connection: Connection, value: ReactNode) => (connection.is_default ? '—' : value);

export function ConnectionsTab() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const { state, reload } = useLoad((signal) => teamApi.connections(signal));
  const [tests, setTests] = useState<Record<number, TestState>>({});
  const { editing, edit, done } = useEditor<Connection>(reload);
  const action = useAction();

  async function test(connection: Connection) {
    const show = (result: TestState) => setTests((all) => ({ ...all, [connection.id]: result }));
    show({ kind: 'running' });
    try {
      show({ kind: 'done', result: await teamApi.testConnection(connection.id) });
    } catch (err) {
      show({ kind: 'failed', message: messageOf(err) });
    }
  }

  const remove = (connection: Connection) =>
    action.run(async () => {
      await teamApi.deleteConnection(connection.id);
      reload();
    });

  const actions = (connection: Connection) => (
    <>
      {isAdmin && (
        <>
          <button type="button" className="secondary small" onClick={() => void test(connection)}>
            Test connection
          </button>
          <EditDeleteButtons
            name={connection.name}
            onEdit={() => edit(connection)}
            onDelete={connection.is_default ? undefined : () => remove(connection)}
          />
        </>
      )}
      <div>
        <TestResultLine state={tests[connection.id]} />
      </div>
    </>
  );

  return (
    <>
      {isAdmin && editing === null && (
        <button type="button" onClick={() => edit('new')}>
          New connection
        </button>
      )}
      {editing !== null && <ConnectionEditor connection={recordOf(editing)} onDone={done} />}
      {action.error && <ErrorMessage message={action.error} />}
      <h2>ClickHouse connections</h2>
      <LoadedList state={state} what="connections" empty={<p className="empty">The team has no connections.</p>}>
        {(connections) => (
          <RecordTable
            rows={connections}
            rowKey={(connection) => connection.id}
            columns={[
              { title: 'Name', cell: (one) => one.name },
              {
                title: 'Server',
                cell: (one) =>
                  one.is_default ? <span className="muted">this server's own ClickHouse</span> : <code>{one.url}</code>,
              },
              { title: 'User', cell: (one) => notDefault(one, one.username || <span className="muted">default</span>) },
              {
                title: 'Password',
                cell: (one) => notDefault(one, one.has_password ? 'set' : <span className="muted">none</span>),
              },
              { title: 'Changed', cell: (one) => <When value={one.updated_at} /> },
            ]}
            actions={actions}
          />
        )}
      </LoadedList>
      {!isAdmin && <p className="muted small-print">Only admins add, change and test connections.</p>}
    </>
  );
}

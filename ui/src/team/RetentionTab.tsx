import { useState, type FormEvent } from 'react';
import { useSession } from '../session';
import { teamApi, type SourceRetention, type TableRetention } from '../teamApi';
import { canDo, durationWords, retentionChange, retentionForm, SIGNALS, type Signal } from '../teamLogic';
import { Field, StrayProblems } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { useSave } from '../ui/saving';
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

/**
 * The server's own tables' retention, changed with `ALTER TABLE … MODIFY TTL` (PUT /api/team/retention):
 * rows already stored are not rewritten; parts past the new age are dropped whole.
 */
function RetentionForm({ tables, onSaved }: { tables: TableRetention[]; onSaved: () => void }) {
  const before = retentionForm(tables);
  const [form, setForm] = useState(before);
  const [saved, setSaved] = useState(false);
  const { problems, busy, save } = useSave();

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    void save(retentionChange(before, form), async (body) => {
      if (Object.keys(body).length > 0) await teamApi.setRetention(body);
      setSaved(true);
      onSaved();
    });
  }

  return (
    <form className="team-editor team-form" onSubmit={submit} aria-label="Change retention">
      <h3>Change the server's retention</h3>
      <p className="muted">
        Applies to this server's own tables, which hold every team's rows. Only admins of the first team may change it;
        rows past the new age are dropped within the next merges.
      </p>
      <div className="team-inline-form">
        {SIGNALS.map((signal: Signal) => (
          <Field key={signal} label={`Keep ${signal} for`} problem={problems[signal]}>
            <input
              value={form[signal]}
              placeholder="30d"
              onChange={(event) => setForm({ ...form, [signal]: event.target.value })}
            />
          </Field>
        ))}
      </div>
      <StrayProblems problems={problems} known={SIGNALS} />
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save retention'}
      </button>
      {saved && (
        <span className="ok" role="status">
          {' '}
          Saved.
        </span>
      )}
    </form>
  );
}

export function RetentionTab() {
  const { me } = useSession();
  const { state, reload } = useLoad((signal) => teamApi.retention(signal));
  const own = state.kind === 'ready' ? state.value.flatMap((source) => source.tables) : [];
  return (
    <>
      <p className="muted">
        How long ClickHouse keeps each source's rows, read from the tables' TTL. This server's own tables start with{' '}
        <code>OTELHOUSE_TTL_LOGS</code>, <code>_TRACES</code>, <code>_METRICS</code> and <code>_SESSIONS</code>, and
        can be changed here or with <code>otelhouse retention set</code>.
      </p>
      {canDo(me.team.role, 'admin') && state.kind === 'ready' && (
        <RetentionForm key={JSON.stringify(own.map((t) => t.seconds))} tables={own} onSaved={reload} />
      )}
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

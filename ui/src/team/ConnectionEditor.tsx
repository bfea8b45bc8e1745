import { useState, type FormEvent } from 'react';
import { teamApi, type Connection } from '../teamApi';
import { Field, StrayProblems } from '../ui/Field';
import { messageOf } from '../ui/problems';
import { useSave } from '../ui/saving';
import { TestResultLine, type TestState } from './ConnectionTest';

const FIELDS = ['name', 'url', 'username', 'password'];

/** Adds a connection (`connection` null) or changes one; the password is write-only. */
export function ConnectionEditor({
  connection,
  onDone,
}: {
  connection: Connection | null;
  onDone: (saved: boolean) => void;
}) {
  const isDefault = connection?.is_default ?? false;
  const [name, setName] = useState(connection?.name ?? '');
  const [url, setUrl] = useState(connection?.url ?? '');
  const [username, setUsername] = useState(connection?.username ?? '');
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const { problems, busy, save: send } = useSave();
  const [test, setTest] = useState<TestState | undefined>(undefined);

  function changes(): Record<string, unknown> {
    if (isDefault) return { name: name.trim() };
    const body: Record<string, unknown> = { name: name.trim(), url: url.trim(), username: username.trim() };
    if (clearPassword) body.password = '';
    else if (password !== '' || connection === null) body.password = password;
    return body;
  }

  function save(event: FormEvent) {
    event.preventDefault();
    void send({ body: changes() }, async (body) => {
      if (connection === null) await teamApi.createConnection(body);
      else await teamApi.changeConnection(connection.id, body);
      onDone(true);
    });
  }

  async function tryIt() {
    setTest({ kind: 'running' });
    try {
      // Unchanged saved values (the password is write-only): test the saved connection itself.
      const unchanged =
        connection !== null &&
        (isDefault || (url.trim() === connection.url && username.trim() === connection.username && password === '' && !clearPassword));
      const result = unchanged
        ? await teamApi.testConnection(connection.id)
        : await teamApi.testUnsaved({ url: url.trim(), username: username.trim(), password });
      setTest({ kind: 'done', result });
    } catch (err) {
      setTest({ kind: 'failed', message: messageOf(err) });
    }
  }

  return (
    <form className="team-form team-editor" onSubmit={save} aria-label="Connection">
      <h2>{connection === null ? 'New connection' : `Edit ${connection.name}`}</h2>
      <Field label="Name" problem={problems.name}>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </Field>
      {isDefault ? (
        <p className="muted">The default connection is this server's own ClickHouse: only its name can change.</p>
      ) : (
        <>
          <Field label="URL" problem={problems.url} hint="ClickHouse's HTTP interface, like https://host:8443">
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://clickhouse.example.com:8443" />
          </Field>
          <Field label="User" problem={problems.username}>
            <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
          </Field>
          <Field
            label="Password"
            problem={problems.password}
            hint={connection?.has_password ? 'Write-only: leave empty to keep the saved one.' : 'Write-only: never shown again.'}
          >
            <input
              type="password"
              value={password}
              disabled={clearPassword}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
              placeholder={connection?.has_password ? '(unchanged)' : ''}
            />
          </Field>
          {connection?.has_password && (
            <label className="team-check">
              <input type="checkbox" checked={clearPassword} onChange={(e) => setClearPassword(e.target.checked)} /> Remove
              the saved password
            </label>
          )}
        </>
      )}
      <StrayProblems problems={problems} known={FIELDS} />
      <div className="team-buttons">
        <button type="submit" disabled={busy || name.trim() === ''}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="secondary" onClick={() => void tryIt()} disabled={!isDefault && url.trim() === ''}>
          Test connection
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
        <TestResultLine state={test} />
      </div>
    </form>
  );
}

import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { teamApi, type RotatedIngestionKey } from '../teamApi';
import type { IngestionKey } from '../types';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Field, Options } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { SecretBox } from '../ui/SecretBox';
import { useAction } from '../ui/useAction';
import { useLoad } from '../ui/useLoad';
import { Status } from '../ui/Status';
import { When } from '../ui/When';

const OVERLAPS = [
  { value: 'null', label: "the server's default (OTELHOUSE_KEY_ROTATION_OVERLAP)" },
  { value: '0', label: 'none: the old key stops now' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '24 hours' },
  { value: String(7 * 86_400), label: '7 days' },
];

/** A secret on show: a new, revealed or rotated key. */
type Shown = { keyId: number; secret: string; title: string; note: string };

export function IngestionKeysTab() {
  const { prefs } = usePrefs();
  const { state, reload } = useLoad((signal) => teamApi.ingestionKeys(signal));
  const [name, setName] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const [rotating, setRotating] = useState<number | null>(null);
  const [overlap, setOverlap] = useState<string>('null');
  const { error, busy, run } = useAction();

  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const made = await teamApi.createIngestionKey(name.trim());
      setShown({
        keyId: made.key.id,
        secret: made.secret,
        title: `New key “${made.key.name}”`,
        note: 'Put it in the authorization header of your OTLP senders. Admins can reveal it again later.',
      });
      setName('');
      reload();
    });
  };

  const reveal = (key: IngestionKey) =>
    run(async () => {
      const answer = await teamApi.revealIngestionKey(key.id);
      setShown({ keyId: key.id, secret: answer.secret, title: `Key “${key.name}”`, note: 'Hide it when you are done.' });
    });

  /** What happens to the old key, in the words the user reads next to the new one. */
  const rotatedNote = (answer: RotatedIngestionKey, seconds: number | null) => {
    const until = answer.replaced.expires_at;
    return answer.replaced.status === 'revoked' || seconds === 0
      ? 'The old key stopped working. Update your senders with this one.'
      : `The old key (${answer.replaced.prefix}…) works until ${until ? formatInstant(until, prefs, { ms: false }) : 'its overlap ends'}; update your senders before then.`;
  };

  const rotate = (key: IngestionKey) =>
    run(async () => {
      const seconds = overlap === 'null' ? null : Number(overlap);
      const answer = await teamApi.rotateIngestionKey(key.id, seconds);
      setRotating(null);
      setShown({
        keyId: answer.key.id,
        secret: answer.secret,
        title: `Rotated key “${answer.key.name}”`,
        note: rotatedNote(answer, seconds),
      });
      reload();
    });

  const revoke = (key: IngestionKey) =>
    run(async () => {
      await teamApi.revokeIngestionKey(key.id);
      if (shown?.keyId === key.id) setShown(null);
      reload();
    });

  const actions = (key: IngestionKey) => (
    <>
      {(key.status === 'active' || key.status === 'expiring') && key.revealable && (
        <button type="button" className="secondary small" disabled={busy} onClick={() => void reveal(key)}>
          Reveal
        </button>
      )}
      {key.status === 'active' && rotating !== key.id && (
        <button type="button" className="secondary small" disabled={busy} onClick={() => setRotating(key.id)}>
          Rotate
        </button>
      )}
      {rotating === key.id && (
        <span className="team-confirm" role="group" aria-label={`Rotate ${key.name}`}>
          <label>
            Old key keeps working for{' '}
            <select value={overlap} onChange={(e) => setOverlap(e.target.value)} aria-label="Overlap">
              <Options items={OVERLAPS} />
            </select>
          </label>
          <button type="button" className="small" disabled={busy} onClick={() => void rotate(key)}>
            Rotate now
          </button>
          <button type="button" className="secondary small" onClick={() => setRotating(null)}>
            Cancel
          </button>
        </span>
      )}
      {key.status !== 'revoked' && (
        <ConfirmButton
          label="Revoke"
          question="Senders using it are refused. Revoke?"
          confirmLabel="Yes, revoke"
          onConfirm={() => revoke(key)}
        />
      )}
    </>
  );

  return (
    <>
      <form className="team-form team-inline-form" onSubmit={create}>
        <Field label="New key name" hint="Who sends with it, e.g. “prod collector”.">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </Field>
        <button type="submit" disabled={busy || name.trim() === ''}>
          Create key
        </button>
      </form>
      {shown && (
        <SecretBox
          title={shown.title}
          secret={shown.secret}
          testId="ingestion-secret"
          note={shown.note}
          onDone={() => setShown(null)}
        />
      )}
      {error && <ErrorMessage message={error} />}
      <h2>Ingestion keys</h2>
      <LoadedList
        state={state}
        what="ingestion keys"
        empty={<p className="empty">The team has no ingestion keys: OTLP senders cannot send. Create one above.</p>}
      >
        {(keys) => (
          <RecordTable
            rows={keys}
            rowKey={(key) => key.id}
            rowData={(key) => ({ 'data-key-id': key.id })}
            columns={[
              { title: 'Name', cell: (key) => key.name },
              { title: 'Key', cell: (key) => <code>{key.prefix}…</code> },
              { title: 'Status', cell: (key) => <Status status={key.status} /> },
              { title: 'Created', cell: (key) => <When value={key.created_at} /> },
              { title: 'Last used', cell: (key) => <When value={key.last_used_at} empty="never" /> },
              {
                title: 'Expires',
                cell: (key) => (
                  <When value={key.revoked_at ? null : key.expires_at} empty={key.revoked_at ? '—' : 'never'} />
                ),
              },
            ]}
            actions={actions}
          />
        )}
      </LoadedList>
      <p className="muted small-print">
        OTLP senders put a key in the <code>authorization</code> header. Rotating makes a new key with the same name;
        the old one keeps working for the overlap you choose, then stops.
      </p>
    </>
  );
}

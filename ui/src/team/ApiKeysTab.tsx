import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { teamApi, type ApiKey } from '../teamApi';
import { expiryFrom } from '../teamLogic';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Field, Options, StrayProblems } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useSave, type Checked } from '../ui/saving';
import { SecretBox } from '../ui/SecretBox';
import { useAction } from '../ui/useAction';
import { useLoad } from '../ui/useLoad';
import { Status } from '../ui/Status';
import { When } from '../ui/When';

const EXPIRIES = [
  { value: 'never', label: 'Never (until revoked)' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
  { value: 'custom', label: 'On a date…' },
];

/** The signed-in user's personal API keys, in every team. */
export function ApiKeysTab() {
  const { me } = useSession();
  const { state, reload } = useLoad((signal) => teamApi.apiKeys(signal));
  const [made, setMade] = useState<{ name: string; secret: string } | null>(null);
  const action = useAction();
  const teamName = (id: number) => me.teams.find((team) => team.id === id)?.name ?? `team ${id}`;

  const revoke = (key: ApiKey) =>
    action.run(async () => {
      await teamApi.revokeApiKey(key.id);
      reload();
    });

  return (
    <>
      <p className="muted">
        Personal keys let scripts and the CLI act as you (with your role) in the team they were made in:{' '}
        <code>Authorization: Bearer ohp_…</code>.
      </p>
      <ApiKeyForm
        onCreated={(name, secret) => {
          setMade({ name, secret });
          reload();
        }}
      />
      {made && (
        <SecretBox
          title={`API key “${made.name}”`}
          secret={made.secret}
          testId="api-key-secret"
          note="Shown once: copy it now. Only a hash is kept, so it cannot be shown again."
          onDone={() => setMade(null)}
        />
      )}
      {action.error && <ErrorMessage message={action.error} />}
      <h2>Your API keys</h2>
      <LoadedList state={state} what="your API keys" empty={<p className="empty">You have no API keys.</p>}>
        {(keys) => (
          <RecordTable
            rows={keys}
            rowKey={(key) => key.id}
            columns={[
              { title: 'Name', cell: (key) => key.name },
              { title: 'Key', cell: (key) => <code>{key.prefix}…</code> },
              { title: 'Team', cell: (key) => teamName(key.team_id) },
              {
                title: 'Status',
                cell: (key) => <Status status={key.revoked_at ? 'revoked' : key.active ? 'active' : 'expired'} />,
              },
              { title: 'Created', cell: (key) => <When value={key.created_at} /> },
              { title: 'Last used', cell: (key) => <When value={key.last_used_at} empty="never" /> },
              { title: 'Expires', cell: (key) => <When value={key.expires_at} empty="never" /> },
            ]}
            actions={(key) =>
              key.active && (
                <ConfirmButton
                  label="Revoke"
                  question="Scripts using it stop working. Revoke?"
                  confirmLabel="Yes, revoke"
                  onConfirm={() => revoke(key)}
                />
              )
            }
          />
        )}
      </LoadedList>
    </>
  );
}

/** Makes a key; its secret (shown once) goes to `onCreated`. */
function ApiKeyForm({ onCreated }: { onCreated: (name: string, secret: string) => void }) {
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState('90d');
  const [date, setDate] = useState('');
  const { problems, save } = useSave();

  function create(event: FormEvent) {
    event.preventDefault();
    const expires = expiryFrom(expiry, Date.now(), date);
    const checked: Checked<{ name: string; expires: string | null }> =
      expiry === 'custom' && expires === null
        ? { problems: { expires_at: 'Choose the date the key stops working.' } }
        : { body: { name: name.trim(), expires } };
    void save(checked, async (body) => {
      const answer = await teamApi.createApiKey(body.name, body.expires);
      onCreated(answer.key.name, answer.secret);
      setName('');
    });
  }

  return (
    <>
      <form className="team-form team-inline-form" onSubmit={create}>
        <Field label="Key name" problem={problems.name} hint="What it is for.">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </Field>
        <Field label="Expires" problem={problems.expires_at}>
          <select value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            <Options items={EXPIRIES} />
          </select>
        </Field>
        {expiry === 'custom' && (
          <Field label="Expiry date (UTC)">
            <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
          </Field>
        )}
        <button type="submit" disabled={name.trim() === ''}>
          Create API key
        </button>
      </form>
      <StrayProblems problems={problems} known={['name', 'expires_at']} />
    </>
  );
}

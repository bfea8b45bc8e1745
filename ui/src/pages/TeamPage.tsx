import { useState, type FormEvent } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { api } from '../api';
import { appBase } from '../base';
import { ErrorMessage, Loading } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { useSession } from '../session';
import {
  teamApi,
  type ApiKey,
  type Connection,
  type ConnectionTest,
  type Invitation,
  type Member,
  type SourceDetail,
} from '../teamApi';
import { ConfirmButton, Field, fieldOf, messageOf, SecretBox, useLoad } from '../teamLoad';
import {
  canDo,
  CLICKSTACK_PRESETS,
  COLUMN_FIELDS,
  columnsToForm,
  durationWords,
  expiryFrom,
  invitationStatus,
  joinLink,
  KIND_FIELDS,
  METRIC_TYPES,
  problemField,
  REQUIRED_COLUMNS,
  ROLE_HELP,
  ROLES,
  sourceBody,
  type Problems,
  type SourceForm,
} from '../teamLogic';
import type { IngestionKey, Role, SourceKind } from '../types';
import '../styles/team.css';

interface Tab {
  path: string;
  label: string;
  adminOnly: boolean;
}

const TABS: Tab[] = [
  { path: 'members', label: 'Members', adminOnly: false },
  { path: 'invitations', label: 'Invitations', adminOnly: true },
  { path: 'ingestion-keys', label: 'Ingestion keys', adminOnly: true },
  { path: 'api-keys', label: 'API keys', adminOnly: false },
  { path: 'connections', label: 'Connections', adminOnly: false },
  { path: 'sources', label: 'Sources', adminOnly: false },
  { path: 'retention', label: 'Retention', adminOnly: false },
];

export function TeamPage() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const tabs = TABS.filter((tab) => isAdmin || !tab.adminOnly);
  const location = useLocation();
  return (
    <section className="page team-page">
      <h1>Team settings</h1>
      <p className="muted team-sub">
        <strong>{me.team.name}</strong> · you are {me.team.role === 'admin' ? 'an' : 'a'} <strong>{me.team.role}</strong>{' '}
        ({ROLE_HELP[me.team.role]})
      </p>
      <nav className="team-tabs" role="tablist" aria-label="Team settings">
        {tabs.map((tab) => {
          const active = location.pathname.replace(/\/+$/, '').endsWith(`/team/${tab.path}`);
          return (
            <Link
              key={tab.path}
              to={`/team/${tab.path}`}
              role="tab"
              aria-selected={active}
              className={active ? 'team-tab active' : 'team-tab'}
            >
              {tab.label}
            </Link>
          );
        })}
      </nav>
      <div className="team-panel" role="tabpanel">
        <Routes>
          <Route index element={<Navigate to="members" replace />} />
          <Route path="members" element={<MembersTab />} />
          <Route path="invitations" element={isAdmin ? <InvitationsTab /> : <AdminsOnly what="invitations" />} />
          <Route
            path="ingestion-keys"
            element={isAdmin ? <IngestionKeysTab /> : <AdminsOnly what="the team's ingestion keys" />}
          />
          <Route path="api-keys" element={<ApiKeysTab />} />
          <Route path="connections" element={<ConnectionsTab />} />
          <Route path="sources" element={<SourcesTab />} />
          <Route path="retention" element={<RetentionTab />} />
          <Route path="*" element={<Navigate to="/team/members" replace />} />
        </Routes>
      </div>
    </section>
  );
}

function AdminsOnly({ what }: { what: string }) {
  return <p className="empty">Only admins of the team manage {what}. Ask one of them.</p>;
}

/** A time in the user's zone and clock, or a dash. */
function When({ value, empty = '—' }: { value: string | null | undefined; empty?: string }) {
  const { prefs } = usePrefs();
  if (!value) return <span className="muted">{empty}</span>;
  return <time dateTime={value}>{formatInstant(value, prefs, { ms: false })}</time>;
}

function Status({ status }: { status: string }) {
  return <span className={`team-status team-status-${status}`}>{status}</span>;
}

// --- members ---------------------------------------------------------------------------------------

function MembersTab() {
  const { me, setMe } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const { state, update, reload } = useLoad((signal) => teamApi.members(signal));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  async function changeRole(member: Member, role: Role) {
    setError(null);
    setBusy(member.user_id);
    try {
      const changed = await teamApi.changeRole(member.user_id, role);
      update((members) => members.map((one) => (one.user_id === changed.user_id ? changed : one)));
      if (member.user_id === me.user.id) setMe(await api.me()); // your own role changed: the app's view too
    } catch (err) {
      setError(messageOf(err));
      reload();
    } finally {
      setBusy(null);
    }
  }

  async function remove(member: Member) {
    setError(null);
    try {
      await teamApi.removeMember(member.user_id);
      if (member.user_id === me.user.id) {
        window.location.assign(appBase()); // you left: this team is no longer yours
        return;
      }
      update((members) => members.filter((one) => one.user_id !== member.user_id));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  if (state.kind === 'loading') return <Loading what="members" />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  const members = state.value;
  return (
    <>
      {error && <ErrorMessage message={error} />}
      <div className="table-wrap">
        <table className="team-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Joined</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {members.map((member) => {
              const self = member.user_id === me.user.id;
              return (
                <tr key={member.user_id}>
                  <td>
                    {member.name || <span className="muted">(no name)</span>}
                    {self && <span className="team-badge">you</span>}
                  </td>
                  <td>{member.email}</td>
                  <td>
                    {isAdmin ? (
                      <select
                        aria-label={`Role of ${member.email}`}
                        value={member.role}
                        disabled={busy === member.user_id}
                        onChange={(e) => void changeRole(member, e.target.value as Role)}
                      >
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    ) : (
                      member.role
                    )}
                  </td>
                  <td>
                    <When value={member.joined_at} />
                  </td>
                  <td className="team-actions">
                    {(isAdmin || self) && (
                      <ConfirmButton
                        label={self ? 'Leave team' : 'Remove'}
                        question={self ? `Leave ${me.team.name}?` : `Remove ${member.email}?`}
                        confirmLabel={self ? 'Yes, leave' : 'Yes, remove'}
                        onConfirm={() => remove(member)}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small-print">
        A team always keeps at least one admin. {isAdmin ? 'Invite people on the Invitations tab.' : ''}
      </p>
    </>
  );
}

// --- invitations -----------------------------------------------------------------------------------

function InvitationsTab() {
  const { state, update, reload } = useLoad((signal) => teamApi.invitations(signal));
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [made, setMade] = useState<{ link: string; invitation: Invitation } | null>(null);
  const [problem, setProblem] = useState<{ field: string | undefined; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function invite(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const created = await teamApi.invite(email.trim(), role);
      setMade({ link: joinLink(appBase(), created.token), invitation: created.invitation });
      setEmail('');
      reload();
    } catch (err) {
      setProblem({ field: fieldOf(err), message: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  async function revoke(invitation: Invitation) {
    setError(null);
    try {
      const revoked = await teamApi.revokeInvitation(invitation.id);
      update((list) => list.map((one) => (one.id === revoked.id ? revoked : one)));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      <form className="team-form team-inline-form" onSubmit={(e) => void invite(e)}>
        <Field
          label="Email (optional)"
          problem={problem?.field === 'email' ? problem.message : undefined}
          hint="Only this address may use the link; empty = whoever has it."
        >
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="name@example.com" />
        </Field>
        <Field label="Role" hint={ROLE_HELP[role]}>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((one) => (
              <option key={one} value={one}>
                {one}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create invitation'}
        </button>
      </form>
      {problem && problem.field !== 'email' && <ErrorMessage message={problem.message} />}
      {made && (
        <SecretBox
          title="Invitation link"
          secret={made.link}
          testId="invitation-link"
          note={
            <>
              Shown once: send it to the person you invite. It works once, as a {made.invitation.role}
              {made.invitation.email ? ` for ${made.invitation.email}` : ''}, until <When value={made.invitation.expires_at} />.
            </>
          }
          onDone={() => setMade(null)}
        />
      )}
      <h2>Invitations</h2>
      {error && <ErrorMessage message={error} />}
      {state.kind === 'loading' && <Loading what="invitations" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.length === 0 && (
        <p className="empty">No invitations yet. Create one above and send its link.</p>
      )}
      {state.kind === 'ready' && state.value.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>For</th>
                <th>Role</th>
                <th>Status</th>
                <th>Created</th>
                <th>Expires</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {state.value.map((invitation) => {
                const status = invitationStatus(invitation);
                return (
                  <tr key={invitation.id}>
                    <td>{invitation.email || <span className="muted">anyone with the link</span>}</td>
                    <td>{invitation.role}</td>
                    <td>
                      <Status status={status} />
                    </td>
                    <td>
                      <When value={invitation.created_at} />
                    </td>
                    <td>
                      <When value={invitation.expires_at} />
                    </td>
                    <td className="team-actions">
                      {status === 'pending' && (
                        <ConfirmButton
                          label="Revoke"
                          question="Revoke this link?"
                          confirmLabel="Yes, revoke"
                          onConfirm={() => revoke(invitation)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

// --- ingestion keys --------------------------------------------------------------------------------

const OVERLAPS: { seconds: number | null; label: string }[] = [
  { seconds: null, label: "the server's default (OTELHOUSE_KEY_ROTATION_OVERLAP)" },
  { seconds: 0, label: 'none: the old key stops now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 7 * 86_400, label: '7 days' },
];

type Shown = { keyId: number; secret: string; title: string; note: string };

function IngestionKeysTab() {
  const { prefs } = usePrefs();
  const { state, reload } = useLoad((signal) => teamApi.ingestionKeys(signal));
  const [name, setName] = useState('');
  const [shown, setShown] = useState<Shown | null>(null);
  const [rotating, setRotating] = useState<number | null>(null);
  const [overlap, setOverlap] = useState<string>('null');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(work: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
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
    act(async () => {
      const answer = await teamApi.revealIngestionKey(key.id);
      setShown({ keyId: key.id, secret: answer.secret, title: `Key “${key.name}”`, note: 'Hide it when you are done.' });
    });

  const rotate = (key: IngestionKey) =>
    act(async () => {
      const seconds = overlap === 'null' ? null : Number(overlap);
      const answer = await teamApi.rotateIngestionKey(key.id, seconds);
      setRotating(null);
      const until = answer.replaced.expires_at;
      setShown({
        keyId: answer.key.id,
        secret: answer.secret,
        title: `Rotated key “${answer.key.name}”`,
        note:
          answer.replaced.status === 'revoked' || seconds === 0
            ? 'The old key stopped working. Update your senders with this one.'
            : `The old key (${answer.replaced.prefix}…) works until ${until ? formatInstant(until, prefs, { ms: false }) : 'its overlap ends'}; update your senders before then.`,
      });
      reload();
    });

  const revoke = (key: IngestionKey) =>
    act(async () => {
      await teamApi.revokeIngestionKey(key.id);
      if (shown?.keyId === key.id) setShown(null);
      reload();
    });

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
      {state.kind === 'loading' && <Loading what="ingestion keys" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.length === 0 && (
        <p className="empty">The team has no ingestion keys: OTLP senders cannot send. Create one above.</p>
      )}
      {state.kind === 'ready' && state.value.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Status</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {state.value.map((key) => {
                const works = key.status === 'active' || key.status === 'expiring';
                return (
                  <tr key={key.id} data-key-id={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>
                      <Status status={key.status} />
                    </td>
                    <td>
                      <When value={key.created_at} />
                    </td>
                    <td>
                      <When value={key.last_used_at} empty="never" />
                    </td>
                    <td>
                      <When value={key.revoked_at ? null : key.expires_at} empty={key.revoked_at ? '—' : 'never'} />
                    </td>
                    <td className="team-actions">
                      {works && key.revealable && (
                        <button
                          type="button"
                          className="secondary small"
                          disabled={busy}
                          onClick={() => void reveal(key)}
                        >
                          Reveal
                        </button>
                      )}
                      {key.status === 'active' && rotating !== key.id && (
                        <button
                          type="button"
                          className="secondary small"
                          disabled={busy}
                          onClick={() => setRotating(key.id)}
                        >
                          Rotate
                        </button>
                      )}
                      {rotating === key.id && (
                        <span className="team-confirm" role="group" aria-label={`Rotate ${key.name}`}>
                          <label>
                            Old key keeps working for{' '}
                            <select value={overlap} onChange={(e) => setOverlap(e.target.value)} aria-label="Overlap">
                              {OVERLAPS.map((one) => (
                                <option key={String(one.seconds)} value={String(one.seconds)}>
                                  {one.label}
                                </option>
                              ))}
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
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small-print">
        OTLP senders put a key in the <code>authorization</code> header. Rotating makes a new key with the same name;
        the old one keeps working for the overlap you choose, then stops.
      </p>
    </>
  );
}

// --- personal API keys -----------------------------------------------------------------------------

const EXPIRIES = [
  { value: 'never', label: 'Never (until revoked)' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
  { value: 'custom', label: 'On a date…' },
];

function ApiKeysTab() {
  const { me } = useSession();
  const { state, reload } = useLoad((signal) => teamApi.apiKeys(signal));
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState('90d');
  const [date, setDate] = useState('');
  const [made, setMade] = useState<{ name: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<{ field: string | undefined; message: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const teamName = (id: number) => me.teams.find((team) => team.id === id)?.name ?? `team ${id}`;

  async function create(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (expiry === 'custom' && expiryFrom('custom', Date.now(), date) === null) {
      setProblem({ field: 'expires_at', message: 'Choose the date the key stops working.' });
      return;
    }
    try {
      const answer = await teamApi.createApiKey(name.trim(), expiryFrom(expiry, Date.now(), date));
      setMade({ name: answer.key.name, secret: answer.secret });
      setName('');
      reload();
    } catch (err) {
      setProblem({ field: fieldOf(err), message: messageOf(err) });
    }
  }

  async function revoke(key: ApiKey) {
    setError(null);
    try {
      await teamApi.revokeApiKey(key.id);
      reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      <p className="muted">
        Personal keys let scripts and the CLI act as you (with your role) in the team they were made in:{' '}
        <code>Authorization: Bearer ohp_…</code>.
      </p>
      <form className="team-form team-inline-form" onSubmit={(e) => void create(e)}>
        <Field label="Key name" problem={problem?.field === 'name' ? problem.message : undefined} hint="What it is for.">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        </Field>
        <Field label="Expires" problem={problem?.field === 'expires_at' ? problem.message : undefined}>
          <select value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRIES.map((one) => (
              <option key={one.value} value={one.value}>
                {one.label}
              </option>
            ))}
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
      {problem && problem.field !== 'name' && problem.field !== 'expires_at' && <ErrorMessage message={problem.message} />}
      {made && (
        <SecretBox
          title={`API key “${made.name}”`}
          secret={made.secret}
          testId="api-key-secret"
          note="Shown once: copy it now. Only a hash is kept, so it cannot be shown again."
          onDone={() => setMade(null)}
        />
      )}
      {error && <ErrorMessage message={error} />}
      <h2>Your API keys</h2>
      {state.kind === 'loading' && <Loading what="your API keys" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.length === 0 && <p className="empty">You have no API keys.</p>}
      {state.kind === 'ready' && state.value.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Team</th>
                <th>Status</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {state.value.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{teamName(key.team_id)}</td>
                  <td>
                    <Status status={key.revoked_at ? 'revoked' : key.active ? 'active' : 'expired'} />
                  </td>
                  <td>
                    <When value={key.created_at} />
                  </td>
                  <td>
                    <When value={key.last_used_at} empty="never" />
                  </td>
                  <td>
                    <When value={key.expires_at} empty="never" />
                  </td>
                  <td className="team-actions">
                    {key.active && (
                      <ConfirmButton
                        label="Revoke"
                        question="Scripts using it stop working. Revoke?"
                        confirmLabel="Yes, revoke"
                        onConfirm={() => revoke(key)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

// --- connections -----------------------------------------------------------------------------------

type TestState = { kind: 'running' } | { kind: 'done'; result: ConnectionTest } | { kind: 'failed'; message: string };

function testText(result: ConnectionTest): string {
  if (result.embedded) return `Connected: the server's own ClickHouse is ready (${result.elapsed_ms} ms).`;
  return `Connected to ClickHouse ${result.version ?? ''} in ${result.elapsed_ms} ms.`;
}

function TestResultLine({ state }: { state: TestState | undefined }) {
  if (!state) return null;
  if (state.kind === 'running')
    return (
      <span className="muted" role="status">
        Testing…
      </span>
    );
  if (state.kind === 'failed')
    return (
      <span className="error team-test" role="alert">
        ✗ {state.message}
      </span>
    );
  return (
    <span className="ok team-test" role="status">
      ✓ {testText(state.result)}
    </span>
  );
}

function ConnectionsTab() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const { state, reload } = useLoad((signal) => teamApi.connections(signal));
  const [tests, setTests] = useState<Record<number, TestState>>({});
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function test(connection: Connection) {
    setTests((all) => ({ ...all, [connection.id]: { kind: 'running' } }));
    try {
      const result = await teamApi.testConnection(connection.id);
      setTests((all) => ({ ...all, [connection.id]: { kind: 'done', result } }));
    } catch (err) {
      setTests((all) => ({ ...all, [connection.id]: { kind: 'failed', message: messageOf(err) } }));
    }
  }

  async function remove(connection: Connection) {
    setError(null);
    try {
      await teamApi.deleteConnection(connection.id);
      reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      {isAdmin && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          New connection
        </button>
      )}
      {editing !== null && (
        <ConnectionEditor
          connection={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) reload();
          }}
        />
      )}
      {error && <ErrorMessage message={error} />}
      <h2>ClickHouse connections</h2>
      {state.kind === 'loading' && <Loading what="connections" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.length === 0 && <p className="empty">The team has no connections.</p>}
      {state.kind === 'ready' && state.value.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Server</th>
                <th>User</th>
                <th>Password</th>
                <th>Changed</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {state.value.map((connection) => (
                <tr key={connection.id}>
                  <td>{connection.name}</td>
                  <td>{connection.is_default ? <span className="muted">this server's own ClickHouse</span> : <code>{connection.url}</code>}</td>
                  <td>{connection.is_default ? '—' : connection.username || <span className="muted">default</span>}</td>
                  <td>{connection.is_default ? '—' : connection.has_password ? 'set' : <span className="muted">none</span>}</td>
                  <td>
                    <When value={connection.updated_at} />
                  </td>
                  <td className="team-actions">
                    {isAdmin && (
                      <>
                        <button type="button" className="secondary small" onClick={() => void test(connection)}>
                          Test connection
                        </button>
                        <button type="button" className="secondary small" onClick={() => setEditing(connection)}>
                          Edit
                        </button>
                        {!connection.is_default && (
                          <ConfirmButton
                            label="Delete"
                            question={`Delete ${connection.name}?`}
                            confirmLabel="Yes, delete"
                            onConfirm={() => remove(connection)}
                          />
                        )}
                      </>
                    )}
                    <div>
                      <TestResultLine state={tests[connection.id]} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!isAdmin && <p className="muted small-print">Only admins add, change and test connections.</p>}
    </>
  );
}

function ConnectionEditor({ connection, onDone }: { connection: Connection | null; onDone: (saved: boolean) => void }) {
  const isDefault = connection?.is_default ?? false;
  const [name, setName] = useState(connection?.name ?? '');
  const [url, setUrl] = useState(connection?.url ?? '');
  const [username, setUsername] = useState(connection?.username ?? '');
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const [problem, setProblem] = useState<{ field: string; message: string } | null>(null);
  const [test, setTest] = useState<TestState | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  function changes(): Record<string, unknown> {
    if (isDefault) return { name: name.trim() };
    const body: Record<string, unknown> = { name: name.trim(), url: url.trim(), username: username.trim() };
    if (clearPassword) body.password = '';
    else if (password !== '' || connection === null) body.password = password;
    return body;
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (connection === null) await teamApi.createConnection(changes());
      else await teamApi.changeConnection(connection.id, changes());
      onDone(true);
    } catch (err) {
      setProblem({ field: fieldOf(err) ?? 'form', message: messageOf(err) });
      setBusy(false);
    }
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

  const on = (field: string) => (problem?.field === field ? problem.message : undefined);
  return (
    <form className="team-form team-editor" onSubmit={(e) => void save(e)} aria-label="Connection">
      <h2>{connection === null ? 'New connection' : `Edit ${connection.name}`}</h2>
      <Field label="Name" problem={on('name')}>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </Field>
      {isDefault ? (
        <p className="muted">The default connection is this server's own ClickHouse: only its name can change.</p>
      ) : (
        <>
          <Field label="URL" problem={on('url')} hint="ClickHouse's HTTP interface, like https://host:8443">
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://clickhouse.example.com:8443" />
          </Field>
          <Field label="User" problem={on('username')}>
            <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
          </Field>
          <Field
            label="Password"
            problem={on('password')}
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
      {problem && !['name', 'url', 'username', 'password'].includes(problem.field) && (
        <ErrorMessage message={problem.message} />
      )}
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

// --- sources ---------------------------------------------------------------------------------------

const KINDS: SourceKind[] = ['log', 'trace', 'metric', 'session'];

function SourcesTab() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const sources = useLoad((signal) => teamApi.sources(signal));
  const connections = useLoad((signal) => teamApi.connections(signal));
  const [editing, setEditing] = useState<SourceDetail | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const connectionName = (id: number) =>
    connections.state.kind === 'ready' ? (connections.state.value.find((one) => one.id === id)?.name ?? `#${id}`) : `#${id}`;

  async function remove(source: SourceDetail) {
    setError(null);
    try {
      await teamApi.deleteSource(source.id);
      sources.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      {isAdmin && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          New source
        </button>
      )}
      {editing !== null && connections.state.kind === 'ready' && (
        <SourceEditor
          source={editing === 'new' ? null : editing}
          connections={connections.state.value}
          onDone={(saved) => {
            setEditing(null);
            if (saved) sources.reload();
          }}
        />
      )}
      {error && <ErrorMessage message={error} />}
      <h2>Sources</h2>
      {sources.state.kind === 'loading' && <Loading what="sources" />}
      {sources.state.kind === 'error' && <ErrorMessage message={sources.state.message} />}
      {sources.state.kind === 'ready' && sources.state.value.length === 0 && (
        <p className="empty">The team has no sources: search has nothing to look in.</p>
      )}
      {sources.state.kind === 'ready' && sources.state.value.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Connection</th>
                <th>Table</th>
                <th>Timestamp</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {sources.state.value.map((source) => (
                <tr key={source.id}>
                  <td>{source.name}</td>
                  <td>{source.kind}</td>
                  <td>{connectionName(source.connection_id)}</td>
                  <td>
                    <code>
                      {source.database}.{source.table}
                    </code>
                  </td>
                  <td>
                    <code>{String(source.columns.timestamp ?? '')}</code>
                  </td>
                  <td className="team-actions">
                    {isAdmin && (
                      <>
                        <button type="button" className="secondary small" onClick={() => setEditing(source)}>
                          Edit
                        </button>
                        <ConfirmButton
                          label="Delete"
                          question={`Delete ${source.name}?`}
                          confirmLabel="Yes, delete"
                          onConfirm={() => remove(source)}
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!isAdmin && <p className="muted small-print">Only admins add and change sources.</p>}
    </>
  );
}

function SourceEditor({
  source,
  connections,
  onDone,
}: {
  source: SourceDetail | null;
  connections: Connection[];
  onDone: (saved: boolean) => void;
}) {
  const [form, setForm] = useState<SourceForm>(() => ({
    name: source?.name ?? '',
    kind: source?.kind ?? 'log',
    connection_id: String(source?.connection_id ?? connections[0]?.id ?? ''),
    database: source?.database ?? 'otel',
    table: source?.table ?? '',
    columns: source ? columnsToForm(source.columns) : {},
  }));
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<SourceForm>) => setForm((current) => ({ ...current, ...change }));
  const setColumn = (key: string, value: string) =>
    setForm((current) => ({ ...current, columns: { ...current.columns, [key]: value } }));

  async function save(event: FormEvent) {
    event.preventDefault();
    const result = sourceBody(form);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      if (source === null) await teamApi.createSource(result.body);
      else await teamApi.changeSource(source.id, result.body);
      onDone(true);
    } catch (err) {
      setProblems({ [problemField(fieldOf(err))]: messageOf(err) });
      setBusy(false);
    }
  }

  const known = new Set(['name', 'kind', 'connection_id', 'database', 'table', 'columns.metric_tables']);
  for (const key of KIND_FIELDS[form.kind]) known.add(`columns.${key}`);
  const stray = Object.entries(problems).filter(([field]) => !known.has(field));
  const required = new Set(REQUIRED_COLUMNS[form.kind]);

  return (
    <form className="team-form team-editor" onSubmit={(e) => void save(e)} aria-label="Source" noValidate>
      <h2>{source === null ? 'New source' : `Edit ${source.name}`}</h2>
      <div className="team-grid">
        <Field label="Name" problem={problems.name}>
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field label="Kind" problem={problems.kind}>
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as SourceKind })}>
            {KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Connection" problem={problems.connection_id}>
          <select value={form.connection_id} onChange={(e) => set({ connection_id: e.target.value })}>
            {connections.map((one) => (
              <option key={one.id} value={one.id}>
                {one.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Database" problem={problems.database}>
          <input value={form.database} onChange={(e) => set({ database: e.target.value })} />
        </Field>
        <Field label={form.kind === 'metric' ? 'Table (main)' : 'Table'} problem={problems.table}>
          <input value={form.table} onChange={(e) => set({ table: e.target.value })} />
        </Field>
      </div>
      <h3>Column expressions</h3>
      <p className="muted small-print">
        ClickHouse expressions over the table's columns. Required for a {form.kind} source:{' '}
        {REQUIRED_COLUMNS[form.kind].join(', ')}.{' '}
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            const preset = CLICKSTACK_PRESETS[form.kind];
            setForm((current) => ({ ...current, table: current.table || preset.table, columns: { ...preset.columns } }));
          }}
        >
          Fill in the OpenTelemetry collector's {form.kind} columns
        </button>
      </p>
      <div className="team-grid">
        {COLUMN_FIELDS.filter((field) => KIND_FIELDS[form.kind].includes(field.key)).map((field) => (
          <Field
            key={field.key}
            label={`${field.label}${required.has(field.key) ? ' *' : ''}`}
            hint={field.help}
            problem={problems[`columns.${field.key}`]}
          >
            <input
              className="team-mono"
              value={form.columns[field.key] ?? ''}
              onChange={(e) => setColumn(field.key, e.target.value)}
              aria-invalid={problems[`columns.${field.key}`] ? true : undefined}
            />
          </Field>
        ))}
      </div>
      {form.kind === 'metric' && (
        <>
          <h3>Metric tables *</h3>
          <div className="team-grid">
            {METRIC_TYPES.map((type) => (
              <Field key={type} label={type.replace('_', ' ')}>
                <input
                  className="team-mono"
                  value={form.columns[`metric_tables.${type}`] ?? ''}
                  onChange={(e) => setColumn(`metric_tables.${type}`, e.target.value)}
                  placeholder={`otel_metrics_${type}`}
                />
              </Field>
            ))}
          </div>
          {problems['columns.metric_tables'] && (
            <p className="team-problem" role="alert">
              {problems['columns.metric_tables']}
            </p>
          )}
        </>
      )}
      {stray.map(([field, message]) => (
        <ErrorMessage key={field} message={message} />
      ))}
      <div className="team-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save source'}
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- retention -------------------------------------------------------------------------------------

function RetentionTab() {
  const { state } = useLoad((signal) => teamApi.retention(signal));
  return (
    <>
      <p className="muted">
        How long ClickHouse keeps each source's rows, read from the tables' TTL. For this server's own tables it is set
        by <code>OTELHOUSE_TTL_LOGS</code>, <code>_TRACES</code>, <code>_METRICS</code> and <code>_SESSIONS</code>;
        changing it from here comes in a later release.
      </p>
      {state.kind === 'loading' && <Loading what="retention" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.length === 0 && <p className="empty">The team has no sources.</p>}
      {state.kind === 'ready' && state.value.length > 0 && (
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
              {state.value.flatMap((source) =>
                source.error !== null
                  ? [
                      <tr key={source.source_id}>
                        <td>{source.source_name}</td>
                        <td>{source.kind}</td>
                        <td colSpan={3}>
                          <span className="error">{source.error}</span>
                        </td>
                      </tr>,
                    ]
                  : source.tables.map((table, index) => (
                      <tr key={`${source.source_id}-${table.table}`}>
                        <td>{index === 0 ? source.source_name : ''}</td>
                        <td>{index === 0 ? source.kind : ''}</td>
                        <td>
                          <code>
                            {table.database}.{table.table}
                          </code>
                        </td>
                        <td data-testid="retention-duration">
                          {!table.exists ? (
                            <span className="error">no such table</span>
                          ) : table.ttl === null ? (
                            'forever (no TTL)'
                          ) : table.seconds !== null ? (
                            durationWords(table.seconds)
                          ) : (
                            <span className="muted">see the TTL</span>
                          )}
                        </td>
                        <td>{table.ttl ? <code>{table.ttl}</code> : <span className="muted">none</span>}</td>
                      </tr>
                    )),
              )}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

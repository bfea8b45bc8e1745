import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { appBase } from '../base';
import { ErrorMessage } from '../components';
import { teamApi, type InvitationView } from '../teamApi';
import { messageOf, PasswordRules, useLoad, usePasswordVerdict } from '../teamLoad';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import type { Me } from '../types';
import '../styles/team.css';

export interface JoinPageProps {
  token: string;
  loggedIn: boolean;
  onJoined: (me: Me) => void;
}

/** Where people land after joining: the first-data page of their new team. */
const LANDING = '/getting-started';

export function JoinPage({ token, loggedIn, onJoined }: JoinPageProps) {
  const { state } = useLoad((signal) => teamApi.viewInvitation(token, signal), token);
  return (
    <div className="center-page">
      <div className="card auth join-card">
        <div className="brand">otelhouse</div>
        {state.kind === 'loading' && (
          <p className="muted" role="status">
            Opening the invitation…
          </p>
        )}
        {state.kind === 'error' && (
          <>
            <h1>This invitation cannot be used</h1>
            <ErrorMessage message={state.message} />
            <p>
              <a href={appBase()}>Go to otelhouse</a>
            </p>
          </>
        )}
        {state.kind === 'ready' && (
          <Offer token={token} invitation={state.value} loggedIn={loggedIn} onJoined={onJoined} />
        )}
      </div>
    </div>
  );
}

function Offer({
  token,
  invitation,
  loggedIn,
  onJoined,
}: {
  token: string;
  invitation: InvitationView;
  loggedIn: boolean;
  onJoined: (me: Me) => void;
}) {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function accept(account?: { email: string; name: string; password: string }) {
    setBusy(true);
    setError(null);
    try {
      const me = await teamApi.acceptInvitation(token, account);
      onJoined(me);
      // The app renders this page for as long as the address is /join/…: leave it.
      navigate(LANDING, { replace: true });
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Join {invitation.team}</h1>
      <p className="join-offer">
        {invitation.invited_by ? `${invitation.invited_by} invited you` : 'You are invited'} to the team <strong>{invitation.team}</strong> as a <strong>{invitation.role}</strong>
        {invitation.email ? (
          <>
            {' '}
            (for <strong>{invitation.email}</strong>)
          </>
        ) : null}
        .{invitation.expires_at && <> The link works until <When value={invitation.expires_at} />.</>}
      </p>
      {loggedIn ? (
        <>
          <p className="muted">Your account joins the team, and you switch to it.</p>
          {error && <ErrorMessage message={error} />}
          <button type="button" disabled={busy} onClick={() => void accept()}>
            {busy ? 'Joining…' : `Join ${invitation.team}`}
          </button>
        </>
      ) : (
        <NewAccount invitation={invitation} busy={busy} error={error} onSubmit={(account) => void accept(account)} />
      )}
    </>
  );
}

function NewAccount({
  invitation,
  busy,
  error,
  onSubmit,
}: {
  invitation: InvitationView;
  busy: boolean;
  error: string | null;
  onSubmit: (account: { email: string; name: string; password: string }) => void;
}) {
  const [email, setEmail] = useState(invitation.email);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const verdict = usePasswordVerdict(password, email, name);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ email: email.trim(), name: name.trim(), password });
  }

  return (
    <form onSubmit={submit} noValidate>
      <p className="muted">
        Make your account. Have one already? <a href={appBase()}>Log in</a> first, then open this link again.
      </p>
      <label>
        Name
        <input name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Email
        <input
          name="email"
          type="email"
          autoComplete="email"
          required
          readOnly={invitation.email !== ''}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-describedby="password-rules"
        />
      </label>
      <PasswordRules id="password-rules" password={password} verdict={verdict} />
      {error && <ErrorMessage message={error} />}
      <button type="submit" disabled={busy || email.trim() === '' || password === ''}>
        {busy ? 'Please wait…' : `Create account and join ${invitation.team}`}
      </button>
    </form>
  );
}

function When({ value }: { value: string }) {
  const { prefs } = usePrefs();
  return <time dateTime={value}>{formatInstant(value, prefs, { ms: false })}</time>;
}

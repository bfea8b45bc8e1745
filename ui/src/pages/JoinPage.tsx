import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { appBase } from '../base';
import { ErrorMessage } from '../components';
import { teamApi, type InvitationView } from '../teamApi';
import type { Me } from '../types';
import { AccountFields, type Account } from '../ui/AccountFields';
import { messageOf } from '../ui/problems';
import { useLoad } from '../ui/useLoad';
import { When } from '../ui/When';
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

  async function accept(account?: Account) {
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
  onSubmit: (account: Account) => void;
}) {
  const [account, setAccount] = useState<Account>({ email: invitation.email, name: '', password: '' });

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ email: account.email.trim(), name: account.name.trim(), password: account.password });
  }

  return (
    <form onSubmit={submit} noValidate>
      <p className="muted">
        Make your account. Have one already? <a href={appBase()}>Log in</a> first, then open this link again.
      </p>
      <AccountFields
        account={account}
        onChange={(change) => setAccount((current) => ({ ...current, ...change }))}
        newAccount
        emailLocked={invitation.email !== ''}
      />
      {error && <ErrorMessage message={error} />}
      <button type="submit" disabled={busy || account.email.trim() === '' || account.password === ''}>
        {busy ? 'Please wait…' : `Create account and join ${invitation.team}`}
      </button>
    </form>
  );
}

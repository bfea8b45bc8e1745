import { useState, type FormEvent } from 'react';
import { api } from '../api';
import type { Me } from '../types';
import { AccountFields, type Account } from '../ui/AccountFields';
import { messageOf } from '../ui/problems';

interface Props {
  mode: 'register' | 'login';
  notice?: string | undefined;
  onLoggedIn: (me: Me, registered: boolean) => void;
}

export function AuthPage({ mode, notice, onLoggedIn }: Props) {
  const registering = mode === 'register';
  const [account, setAccount] = useState<Account>({ email: '', name: '', password: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { email, name, password } = account;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = registering ? await api.register(email, name, password) : await api.login(email, password);
      onLoggedIn(me, registering);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <div className="center-page">
      <form className="card auth" onSubmit={(event) => void submit(event)} noValidate>
        <div className="brand">otelhouse</div>
        <h1>{registering ? 'Create the first account' : 'Log in'}</h1>
        {registering && (
          <p className="muted">
            This install has no users yet. The first account becomes the admin of the first team.
          </p>
        )}
        {notice && !registering && <p className="notice">{notice}</p>}
        <AccountFields
          account={account}
          onChange={(change) => setAccount((current) => ({ ...current, ...change }))}
          newAccount={registering}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || email === '' || password === ''}>
          {busy ? 'Please wait…' : registering ? 'Create account' : 'Log in'}
        </button>
      </form>
    </div>
  );
}

import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import type { Me, PasswordVerdict } from '../types';

interface Props {
  mode: 'register' | 'login';
  notice?: string | undefined;
  onLoggedIn: (me: Me, registered: boolean) => void;
}

/** The password rules for what is typed so far, asked of the server (it owns the rules) after a pause. */
function usePasswordVerdict(password: string, email: string, name: string, enabled: boolean) {
  const [verdict, setVerdict] = useState<PasswordVerdict | null>(null);
  useEffect(() => {
    if (!enabled || password === '') {
      setVerdict(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api
        .passwordCheck(password, email, name, controller.signal)
        .then(setVerdict)
        .catch(() => {
          /* feedback only: the registration answer has the final word */
        });
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [password, email, name, enabled]);
  return verdict;
}

export function AuthPage({ mode, notice, onLoggedIn }: Props) {
  const registering = mode === 'register';
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const verdict = usePasswordVerdict(password, email, name, registering);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = registering ? await api.register(email, name, password) : await api.login(email, password);
      onLoggedIn(me, registering);
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
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
        {registering && (
          <label>
            Name
            <input name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
        )}
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete={registering ? 'email' : 'username'}
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={registering ? 'password-rules' : undefined}
          />
        </label>
        {registering && (
          <div id="password-rules" className="rules" aria-live="polite">
            {password === '' ? (
              <p className="muted">At least {verdict?.min_length ?? 12} characters; not your email or name.</p>
            ) : verdict === null ? (
              <p className="muted">Checking…</p>
            ) : verdict.ok ? (
              <p className="ok">✓ The password meets the rules.</p>
            ) : (
              <ul className="problems">
                {verdict.problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            )}
          </div>
        )}
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

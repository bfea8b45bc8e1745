/** New passwords: the server's rules checked as the user types, shown under the field. */
import { useEffect, useState } from 'react';
import { api } from '../api';
import type { PasswordVerdict } from '../types';

/** The server's verdict (it owns the rules) on what is typed so far, asked after a pause; null while none. */
export function usePasswordVerdict(password: string, email: string, name: string, enabled = true) {
  const [verdict, setVerdict] = useState<PasswordVerdict | null>(null);
  useEffect(() => {
    if (!enabled || password === '') {
      setVerdict(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api.passwordCheck(password, email, name, controller.signal).then(setVerdict, () => {
        /* feedback only: the answer to the form has the final word */
      });
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [password, email, name, enabled]);
  return verdict;
}

/** The rules under a new-password field: what is still wrong, or that it is fine. */
export function PasswordRules({ id, password, verdict }: { id: string; password: string; verdict: PasswordVerdict | null }) {
  return (
    <div id={id} className="rules" aria-live="polite">
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
  );
}

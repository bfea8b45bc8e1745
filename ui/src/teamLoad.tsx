/** Small pieces the team, alerts, preferences and join pages share: loading a list, confirming, errors. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from './api';
import type { PasswordVerdict } from './types';
import { CopyButton } from './components';

export type Loaded<T> = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; value: T };

/** `load` run on mount, when `key` changes and on `reload()`; aborted when the page goes away. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key = '') {
  // The answer remembers the key it was loaded for: a new key shows "loading", never the old answer.
  const [answer, setAnswer] = useState<{ key: string; state: Loaded<T> }>({ key, state: { kind: 'loading' } });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const controller = new AbortController();
    latest.current(controller.signal).then(
      (value) => setAnswer({ key, state: { kind: 'ready', value } }),
      (err: unknown) => {
        if (!controller.signal.aborted) setAnswer({ key, state: { kind: 'error', message: messageOf(err) } });
      },
    );
    return () => controller.abort();
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const update = useCallback((change: (value: T) => T) => {
    setAnswer((current) =>
      current.state.kind === 'ready' ? { ...current, state: { kind: 'ready', value: change(current.state.value) } } : current,
    );
  }, []);
  const state: Loaded<T> = answer.key === key ? answer.state : { kind: 'loading' };
  return { state, reload, update };
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError || err instanceof Error) return err.message;
  return String(err);
}

/** The server's field for an error, when it named one. */
export function fieldOf(err: unknown): string | undefined {
  return err instanceof ApiError ? err.field : undefined;
}

/**
 * A button that asks before doing something that cannot be undone: the first click shows
 * "<question> [confirm] [Cancel]" in place.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  disabled = false,
  danger = true,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  disabled?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        className={`secondary small${danger ? ' team-danger' : ''}`}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <span className="team-confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className={`small${danger ? ' team-danger-solid' : ''}`}
        disabled={busy}
        onClick={() => {
          setBusy(true);
          void Promise.resolve(onConfirm()).finally(() => {
            setBusy(false);
            setAsking(false);
          });
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="secondary small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A form field with its label, hint and the problem to fix (the server's or ours). */
export function Field({
  label,
  problem,
  hint,
  children,
  wide = false,
}: {
  label: string;
  problem?: string | undefined;
  hint?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  // The hint and the problem sit outside the <label>, so the field's accessible name is the label alone.
  return (
    <div className={`team-field${wide ? ' wide' : ''}`}>
      <label>
        <span className="team-label">{label}</span>
        {children}
      </label>
      {hint && <span className="team-hint">{hint}</span>}
      {problem && (
        <span className="team-problem" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

/** A secret shown once: the value, a copy button and what to do with it. */
export function SecretBox({
  title,
  secret,
  note,
  testId,
  onDone,
}: {
  title: string;
  secret: string;
  note: ReactNode;
  testId?: string;
  onDone?: () => void;
}) {
  return (
    <div className="team-secret" role="region" aria-label={title}>
      <strong>{title}</strong>
      <div className="team-secret-row">
        <code data-testid={testId}>{secret}</code>
        <CopyButton text={secret} />
      </div>
      <p className="muted small-print">{note}</p>
      {onDone && (
        <button type="button" className="secondary small" onClick={onDone}>
          Done
        </button>
      )}
    </div>
  );
}


/** The server's password rules for what is typed so far, asked after a pause (as on the register page). */
export function usePasswordVerdict(password: string, email: string, name: string) {
  const [verdict, setVerdict] = useState<PasswordVerdict | null>(null);
  useEffect(() => {
    if (password === '') {
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
  }, [password, email, name]);
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

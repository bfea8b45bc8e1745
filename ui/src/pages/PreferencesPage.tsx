import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components';
import { formatInstant, isTimeZone, timeZones, type Theme } from '../prefs';
import { usePrefs } from '../prefsContext';
import { useSession } from '../session';
import { teamApi } from '../teamApi';
import { Field } from '../ui/Field';
import { PasswordRules, usePasswordVerdict } from '../ui/password';
import { fieldOf, messageOf } from '../ui/problems';
import '../styles/team.css';

const THEMES: { value: Theme; label: string }[] = [
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'system', label: "Follow the system's setting" },
];

export function PreferencesPage() {
  return (
    <section className="page narrow">
      <h1>Preferences</h1>
      <p className="muted">Display choices are kept in this browser; your name and password are your account's.</p>
      <Display />
      <Account />
    </section>
  );
}

/** The time now, ticking every second. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

function Display() {
  const { prefs, setPrefs } = usePrefs();
  const zones = useMemo(() => timeZones(), []);
  const [zoneText, setZoneText] = useState(prefs.timeZone === 'local' ? '' : prefs.timeZone);
  const now = useNow();
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const typed = zoneText.trim();
  const zoneProblem = typed !== '' && !isTimeZone(typed) ? `${typed} is not a time zone this browser knows.` : undefined;

  function chooseZone(value: string) {
    setZoneText(value);
    const trimmed = value.trim();
    if (trimmed === '') setPrefs({ timeZone: 'local' });
    // Commit only names the browser knows, so a half-typed name never breaks every time on the page.
    else if (trimmed !== 'local' && isTimeZone(trimmed) && zones.includes(trimmed)) setPrefs({ timeZone: trimmed });
  }

  function commitZone(event: FormEvent) {
    event.preventDefault();
    if (typed === '') setPrefs({ timeZone: 'local' });
    else if (isTimeZone(typed)) setPrefs({ timeZone: typed });
  }

  return (
    <div className="pref-section">
      <h2>Display</h2>
      <fieldset className="pref-choices">
        <legend>Theme</legend>
        {THEMES.map((theme) => (
          <label key={theme.value}>
            <input
              type="radio"
              name="theme"
              value={theme.value}
              checked={prefs.theme === theme.value}
              onChange={() => setPrefs({ theme: theme.value })}
            />
            {theme.label}
          </label>
        ))}
      </fieldset>

      <form onSubmit={commitZone}>
        <Field
          label="Time zone"
          problem={zoneProblem}
          hint={
            <>
              Any IANA zone ({zones.length} known), e.g. Europe/Paris or America/New_York. Empty = this browser's zone (
              {browserZone}).
            </>
          }
        >
          <span className="pref-zone">
            <input
              list="pref-zones"
              value={zoneText}
              placeholder={`Browser's zone (${browserZone})`}
              onChange={(e) => chooseZone(e.target.value)}
              onBlur={() => typed !== '' && !zoneProblem && setPrefs({ timeZone: typed })}
              aria-invalid={zoneProblem ? true : undefined}
              spellCheck={false}
            />
            <button type="button" className="secondary small" onClick={() => chooseZone('')}>
              Browser's zone
            </button>
            <button type="button" className="secondary small" onClick={() => chooseZone('UTC')}>
              UTC
            </button>
          </span>
        </Field>
        <datalist id="pref-zones">
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </form>

      <fieldset className="pref-choices">
        <legend>Clock</legend>
        <label>
          <input type="radio" name="clock" checked={!prefs.hour12} onChange={() => setPrefs({ hour12: false })} />
          24-hour (14:05)
        </label>
        <label>
          <input type="radio" name="clock" checked={prefs.hour12} onChange={() => setPrefs({ hour12: true })} />
          12-hour (2:05 p.m.)
        </label>
      </fieldset>

      <p>
        Now: <time className="pref-now" data-testid="pref-now">{formatInstant(now, prefs, { ms: false })}</time>{' '}
        <span className="muted">({prefs.timeZone === 'local' ? `browser's zone, ${browserZone}` : prefs.timeZone})</span>
      </p>
    </div>
  );
}

function Account() {
  const { me, setMe } = useSession();
  const [name, setName] = useState(me.user.name);
  const [nameState, setNameState] = useState<{ ok: boolean; message: string } | null>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [passwordState, setPasswordState] = useState<{ ok: boolean; field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const verdict = usePasswordVerdict(next, me.user.email, name);

  async function saveName(event: FormEvent) {
    event.preventDefault();
    setNameState(null);
    try {
      const answer = await teamApi.updateProfile(name.trim());
      setName(answer.user.name);
      setMe(answer);
      setNameState({ ok: true, message: 'Saved.' });
    } catch (err) {
      setNameState({ ok: false, message: messageOf(err) });
    }
  }

  async function changePassword(event: FormEvent) {
    event.preventDefault();
    setPasswordState(null);
    setBusy(true);
    try {
      await teamApi.changePassword(current, next);
      setCurrent('');
      setNext('');
      setPasswordState({ ok: true, message: 'Password changed. Your other sessions have ended.' });
    } catch (err) {
      setPasswordState({ ok: false, field: fieldOf(err), message: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  const wrongCurrent = passwordState && !passwordState.ok && passwordState.field === 'current_password';
  return (
    <div className="pref-section">
      <h2>Your account</h2>
      <p className="muted">
        Signed in as <strong>{me.user.email}</strong>.
      </p>
      <form className="team-inline-form" onSubmit={(e) => void saveName(e)}>
        <Field label="Name">
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoComplete="name" />
        </Field>
        <button type="submit" disabled={name.trim() === me.user.name && nameState?.ok !== false}>
          Save name
        </button>
      </form>
      {nameState &&
        (nameState.ok ? (
          <p className="ok" role="status">
            {nameState.message}
          </p>
        ) : (
          <ErrorMessage message={nameState.message} />
        ))}

      <h3>Change password</h3>
      <form onSubmit={(e) => void changePassword(e)} noValidate>
        <Field label="Current password" problem={wrongCurrent ? passwordState.message : undefined}>
          <input
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </Field>
        <Field label="New password">
          <input
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            aria-describedby="new-password-rules"
          />
        </Field>
        <PasswordRules id="new-password-rules" password={next} verdict={verdict} />
        {passwordState &&
          !wrongCurrent &&
          (passwordState.ok ? (
            <p className="ok" role="status">
              {passwordState.message}
            </p>
          ) : (
            <ErrorMessage message={passwordState.message} />
          ))}
        <div className="team-buttons">
          <button type="submit" disabled={busy || current === '' || next === ''}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </div>
  );
}

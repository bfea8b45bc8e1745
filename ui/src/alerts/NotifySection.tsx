/** Whom a firing alert notifies, and silencing a saved alert. */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { isSilenced, SILENCE_CHOICES } from '../alertForm';
import type { Alert } from '../alertsApi';
import { ErrorMessage } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { Field, Options, ProblemNote } from '../ui/Field';
import { Section, type SectionProps } from './Section';

export function NotifySection({ form, set, problems, lookups }: SectionProps) {
  const toggle = (id: number, on: boolean) =>
    set({ channels: on ? [...form.channels, id] : form.channels.filter((one) => one !== id) });
  return (
    <Section title="Notify">
      {lookups.webhooks.length === 0 ? (
        <p className="muted">
          No webhooks yet. <Link to="/alerts/webhooks">Add one</Link> to be told when this alert fires.
        </p>
      ) : (
        <div className="alert-channels" role="group" aria-label="Channels">
          {lookups.webhooks.map((webhook) => (
            <label key={webhook.id} className="team-check">
              <input
                type="checkbox"
                checked={form.channels.includes(webhook.id)}
                onChange={(e) => toggle(webhook.id, e.target.checked)}
              />
              {webhook.name} <span className="muted">({webhook.kind})</span>
            </label>
          ))}
        </div>
      )}
      <ProblemNote problem={problems.channels} />
      <Field label="Message (optional)" problem={problems.message} wide>
        <textarea rows={3} value={form.message} onChange={(e) => set({ message: e.target.value })} />
      </Field>
    </Section>
  );
}

/** A saved alert's silence: until when, and the buttons to silence or unsilence it (`onSilence(null)`). */
export function SilenceSection({
  alert,
  canWrite,
  problem,
  onSilence,
}: {
  alert: Alert;
  canWrite: boolean;
  problem: string | undefined;
  onSilence: (choice: string | null) => Promise<void>;
}) {
  const { prefs } = usePrefs();
  const [choice, setChoice] = useState('1h');
  const silenced = isSilenced(alert);
  return (
    <Section title="Silence">
      <p>
        {silenced && alert.silenced_until ? (
          <span data-testid="silenced-until">
            Silenced until {formatInstant(alert.silenced_until, prefs, { ms: false })}
          </span>
        ) : (
          'Not silenced: state changes are notified.'
        )}
      </p>
      {canWrite && (
        <div className="team-buttons">
          <label>
            Silence for{' '}
            <select aria-label="Silence for" value={choice} onChange={(e) => setChoice(e.target.value)}>
              <Options items={SILENCE_CHOICES} />
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => void onSilence(choice)}>
            Silence
          </button>
          {silenced && (
            <button type="button" className="secondary" onClick={() => void onSilence(null)}>
              Un-silence
            </button>
          )}
        </div>
      )}
      {problem && <ErrorMessage message={problem} />}
      <p className="muted small-print">A silenced alert is still evaluated; it only sends no notifications.</p>
    </Section>
  );
}

import type { ReactNode } from 'react';
import { CopyButton } from '../components';

/** A secret shown once: the value, a copy button and what to do with it. Styled by styles/team.css. */
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

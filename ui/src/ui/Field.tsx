/** Form fields with their label, hint and the problem to fix. Styled by styles/team.css. */
import type { ReactNode } from 'react';
import { ErrorMessage } from '../components';
import { strayProblems, type Problems } from './problems';

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

/** A problem about a group of inputs (no single Field to put it under); nothing when there is none. */
export function ProblemNote({ problem }: { problem: string | undefined }) {
  if (!problem) return null;
  return (
    <p className="team-problem" role="alert">
      {problem}
    </p>
  );
}

/** The problems none of the form's fields shows (`known` are the ones they do), as errors under the form. */
export function StrayProblems({ problems, known }: { problems: Problems; known: Iterable<string> }) {
  return (
    <>
      {strayProblems(problems, known).map(([field, message]) => (
        <ErrorMessage key={field} message={message} />
      ))}
    </>
  );
}

/** The <option>s of a <select>: plain values, or values with their labels. */
export function Options({ items }: { items: readonly (string | { value: string | number; label: string })[] }) {
  return (
    <>
      {items.map((item) => {
        const { value, label } = typeof item === 'string' ? { value: item, label: item } : item;
        return (
          <option key={value} value={value}>
            {label}
          </option>
        );
      })}
    </>
  );
}

/** What the alert editor's sections share: a titled fieldset, and the form they change. */
import type { ReactNode } from 'react';
import type { AlertForm } from '../alertForm';
import type { Problems } from '../ui/problems';
import type { Lookups } from './lookups';

export interface SectionProps {
  form: AlertForm;
  set: (change: Partial<AlertForm>) => void;
  problems: Problems;
  lookups: Lookups;
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="alert-section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

/** Saving a form: our own checks first, then the server's; a refusal lands on the field it names. */
import { useState, type ReactNode } from 'react';
import { fieldOf, messageOf, type Problems } from './problems';

/** A form's checked body, or the problems that stop it being sent. */
export type Checked<B> = { body: B } | { problems: Problems };

const orForm = (field: string | undefined) => field ?? 'form';

export function useSave() {
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  /** `fieldFor` maps the server's field name to the form's ("form" when it named none). */
  async function save<B>(checked: Checked<B>, send: (body: B) => Promise<void>, fieldFor = orForm) {
    if ('problems' in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      await send(checked.body);
    } catch (err) {
      setProblems({ [fieldFor(fieldOf(err))]: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }
  return { problems, setProblems, busy, save };
}

/** An editor's "Save" (busy while saving) and "Cancel", and any more buttons after them. */
export function SaveCancel({
  label,
  busy,
  disabled = false,
  onCancel,
  children,
}: {
  label: string;
  busy: boolean;
  disabled?: boolean;
  onCancel: () => void;
  children?: ReactNode;
}) {
  return (
    <div className="team-buttons">
      <button type="submit" disabled={busy || disabled}>
        {busy ? 'Saving…' : label}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
      {children}
    </div>
  );
}

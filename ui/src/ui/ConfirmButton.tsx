import { useState } from 'react';

/**
 * A button that asks before doing something that cannot be undone: the first click shows
 * "<question> [confirm] [Cancel]" in place. Styled by styles/team.css.
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
  const confirm = () => {
    setBusy(true);
    void Promise.resolve(onConfirm()).finally(() => {
      setBusy(false);
      setAsking(false);
    });
  };
  return (
    <span className="team-confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button type="button" className={`small${danger ? ' team-danger-solid' : ''}`} disabled={busy} onClick={confirm}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A row's "Edit" and "Delete" (asked first); without `onDelete` the record cannot be deleted. */
export function EditDeleteButtons({
  name,
  onEdit,
  onDelete,
}: {
  name: string;
  onEdit: () => void;
  onDelete?: (() => Promise<void>) | undefined;
}) {
  return (
    <>
      <button type="button" className="secondary small" onClick={onEdit}>
        Edit
      </button>
      {onDelete && (
        <ConfirmButton label="Delete" question={`Delete ${name}?`} confirmLabel="Yes, delete" onConfirm={onDelete} />
      )}
    </>
  );
}

import { useState } from 'react';

/**
 * Which record of a list is open in its editor: none, a new one, or one of the list.
 * `done(saved)` closes the editor and reloads the list when something was saved.
 */
export function useEditor<T>(reload: () => void) {
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const done = (saved: boolean) => {
    setEditing(null);
    if (saved) reload();
  };
  return { editing, edit: setEditing, done };
}

/** The record an editor changes, or null for a new one. */
export function recordOf<T>(editing: T | 'new'): T | null {
  return editing === 'new' ? null : editing;
}

import type { ReactNode } from 'react';
import { ErrorMessage, Loading } from '../components';
import type { Loaded } from './useLoad';

const noItems = (value: unknown) => Array.isArray(value) && value.length === 0;

/** A loaded list's four states: loading, its error, the note for no items, or the list itself. */
export function LoadedList<T>({
  state,
  what,
  empty,
  isEmpty = noItems,
  children,
}: {
  state: Loaded<T>;
  /** For "Loading <what>…". */
  what: string;
  empty?: ReactNode;
  isEmpty?: (value: T) => boolean;
  children: (value: T) => ReactNode;
}) {
  if (state.kind === 'loading') return <Loading what={what} />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  if (empty !== undefined && isEmpty(state.value)) return <>{empty}</>;
  return <>{children(state.value)}</>;
}

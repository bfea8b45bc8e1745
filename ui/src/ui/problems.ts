/** What went wrong, as the user reads it: an error's message, the field the server blamed, per-field problems. */
import { ApiError } from '../api';

/** Problems to show next to the fields they concern, by field name ("form" when none fits). */
export type Problems = Record<string, string>;

export function messageOf(err: unknown): string {
  if (err instanceof ApiError || err instanceof Error) return err.message;
  return String(err);
}

/** The server's field for an error, when it named one. */
export function fieldOf(err: unknown): string | undefined {
  return err instanceof ApiError ? err.field : undefined;
}

/** The problems no field of the form shows: they are listed under the form instead, so none is lost. */
export function strayProblems(problems: Problems, known: Iterable<string>): [string, string][] {
  const shown = new Set(known);
  return Object.entries(problems).filter(([field]) => !shown.has(field));
}

import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';

/** A time in the user's zone and clock, or `empty` (a dash) when there is none. */
export function When({ value, empty = '—' }: { value: string | null | undefined; empty?: string }) {
  const { prefs } = usePrefs();
  if (!value) return <span className="muted">{empty}</span>;
  return <time dateTime={value}>{formatInstant(value, prefs, { ms: false })}</time>;
}

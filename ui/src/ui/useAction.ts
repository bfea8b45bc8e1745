import { useCallback, useState } from 'react';
import { messageOf } from './problems';

/** Runs a user's action (revoke, delete, …): remembers its failure to show and whether one is running. */
export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (work: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run };
}

/** The preferences for every page, and the theme applied to the document. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { DEFAULT_PREFS, effectiveTheme, loadPrefs, savePrefs, type Prefs } from './prefs';

interface PrefsValue {
  prefs: Prefs;
  setPrefs: (change: Partial<Prefs>) => void;
}

const PrefsContext = createContext<PrefsValue>({ prefs: DEFAULT_PREFS, setPrefs: () => undefined });

function systemDark(): boolean {
  return typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches === true;
}

export function PrefsProvider({ children }: { children: ReactNode }) {
  const [prefs, setState] = useState<Prefs>(loadPrefs);
  const [dark, setDark] = useState(systemDark);

  useEffect(() => {
    const query = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!query) return;
    const listen = () => setDark(query.matches);
    query.addEventListener('change', listen);
    return () => query.removeEventListener('change', listen);
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = effectiveTheme(prefs.theme, dark);
  }, [prefs.theme, dark]);

  const setPrefs = useCallback((change: Partial<Prefs>) => {
    setState((current) => {
      const next = { ...current, ...change };
      savePrefs(next);
      return next;
    });
  }, []);

  const value = useMemo(() => ({ prefs, setPrefs }), [prefs, setPrefs]);
  return <PrefsContext.Provider value={value}>{children}</PrefsContext.Provider>;
}

export function usePrefs(): PrefsValue {
  return useContext(PrefsContext);
}

/** The logged-in user, for every page of the shell. */
import { createContext, useContext } from 'react';
import type { Me } from './types';

export interface Session {
  me: Me;
  logout: () => Promise<void>;
  /** After a change to the user or their team (name, team switch, joining a team). */
  setMe: (me: Me) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the logged-in shell');
  return session;
}

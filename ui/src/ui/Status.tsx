import type { ReactNode } from 'react';

/** A coloured status word (active, revoked, …); the text defaults to the status. Styled by styles/team.css. */
export function Status({ status, children }: { status: string; children?: ReactNode }) {
  return <span className={`team-status team-status-${status}`}>{children ?? status}</span>;
}

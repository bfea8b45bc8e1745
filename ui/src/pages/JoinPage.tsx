import type { Me } from '../types';

export interface JoinPageProps {
  token: string;
  loggedIn: boolean;
  onJoined: (me: Me) => void;
}

export function JoinPage({ token }: JoinPageProps) {
  return (
    <div className="center-page">
      <div className="card">
        <h1>Join a team</h1>
        <p className="muted">{token.slice(0, 8)}…</p>
      </div>
    </div>
  );
}

import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { api } from './api';
import { useSession } from './session';

const LINKS = [
  { to: '/search', label: 'Search' },
  { to: '/charts', label: 'Charts' },
  { to: '/dashboards', label: 'Dashboards' },
  { to: '/services', label: 'Services' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/team', label: 'Team settings' },
  { to: '/getting-started', label: 'Send data' },
  { to: '/preferences', label: 'Preferences' },
];

export function Shell() {
  const { me, logout, setMe } = useSession();
  const [leaving, setLeaving] = useState(false);
  const [switchError, setSwitchError] = useState<string | null>(null);
  const navigate = useNavigate();

  function switchTeam(teamId: number) {
    setSwitchError(null);
    api.switchTeam(teamId).then(
      (next) => {
        setMe(next);
        navigate('/search');
      },
      (err: Error) => setSwitchError(err.message),
    );
  }

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">otelhouse</div>
        <ul>
          {LINKS.map((link) => (
            <li key={link.to}>
              <NavLink to={link.to}>{link.label}</NavLink>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <div className="who" title={me.user.email}>
            {me.user.name || me.user.email}
          </div>
          {me.teams.length > 1 ? (
            <select
              aria-label="Team"
              className="team-switch"
              value={me.team.id}
              onChange={(e) => switchTeam(Number(e.target.value))}
            >
              {me.teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name} · {team.role}
                </option>
              ))}
            </select>
          ) : (
            <div className="team muted">
              {me.team.name} · {me.team.role}
            </div>
          )}
          {switchError && <p className="error small-print">{switchError}</p>}
          <button
            type="button"
            className="secondary"
            disabled={leaving}
            onClick={() => {
              setLeaving(true);
              void logout().finally(() => setLeaving(false));
            }}
          >
            Log out
          </button>
        </div>
      </nav>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

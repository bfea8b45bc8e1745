import { useState } from 'react';
import { NavLink, Outlet } from 'react-router-dom';
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
  const { me, logout } = useSession();
  const [leaving, setLeaving] = useState(false);
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
          <div className="team muted">
            {me.team.name} · {me.team.role}
          </div>
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

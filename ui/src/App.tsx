import { useCallback, useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { api, ApiError, onUnauthorized } from './api';
import { AuthPage } from './pages/AuthPage';
import { GettingStartedPage } from './pages/GettingStartedPage';
import { AlertsPage } from './pages/AlertsPage';
import { ChartsPage } from './pages/ChartsPage';
import { DashboardPage } from './pages/DashboardPage';
import { DashboardsPage } from './pages/DashboardsPage';
import { JoinPage } from './pages/JoinPage';
import { NotFoundPage } from './pages/PlaceholderPage';
import { PreferencesPage } from './pages/PreferencesPage';
import { SearchPage } from './pages/SearchPage';
import { ServicesPage } from './pages/ServicesPage';
import { TeamPage } from './pages/TeamPage';
import { TracePage } from './pages/TracePage';
import { Shell } from './Shell';
import { SessionContext, type Session } from './session';
import type { Me } from './types';

type Phase =
  | { kind: 'loading' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'anonymous'; registrationOpen: boolean; notice?: string }
  | { kind: 'in'; me: Me; landing?: string };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const navigate = useNavigate();
  const location = useLocation();

  // After registering, go to the first-data page once; then the routes take over.
  useEffect(() => {
    if (phase.kind === 'in' && phase.landing === location.pathname) setPhase({ kind: 'in', me: phase.me });
  }, [phase, location.pathname]);

  const check = useCallback(async (notice?: string) => {
    try {
      const status = await api.authStatus();
      if (status.logged_in) {
        setPhase({ kind: 'in', me: await api.me() });
      } else {
        setPhase({ kind: 'anonymous', registrationOpen: status.registration_open, notice });
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setPhase({ kind: 'anonymous', registrationOpen: false, notice });
      } else {
        setPhase({ kind: 'unreachable', message: err instanceof Error ? err.message : String(err) });
      }
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  useEffect(
    () =>
      onUnauthorized(() => {
        setPhase((current) =>
          current.kind === 'in'
            ? { kind: 'anonymous', registrationOpen: false, notice: 'Your session ended. Log in again.' }
            : current,
        );
      }),
    [],
  );

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setPhase({ kind: 'anonymous', registrationOpen: false, notice: 'You are logged out.' });
      navigate('/', { replace: true });
    }
  }, [navigate]);

  const session: Session | null = useMemo(
    () => (phase.kind === 'in' ? { me: phase.me, logout } : null),
    [phase, logout],
  );

  if (phase.kind === 'loading') {
    return (
      <div className="center-page">
        <p className="muted" role="status">
          Loading…
        </p>
      </div>
    );
  }
  if (phase.kind === 'unreachable') {
    return (
      <div className="center-page">
        <div className="card">
          <h1>otelhouse is not answering</h1>
          <p className="error" role="alert">
            {phase.message}
          </p>
          <button type="button" onClick={() => void check()}>
            Try again
          </button>
        </div>
      </div>
    );
  }
  // An invitation link works logged in or not: accepting it joins its team and lands in the app.
  const joining = /^\/join\/([^/]+)\/?$/.exec(location.pathname);
  if (joining) {
    return (
      <JoinPage
        token={decodeURIComponent(joining[1] ?? '')}
        loggedIn={phase.kind === 'in'}
        onJoined={(me) => {
          setPhase({ kind: 'in', me, landing: '/getting-started' });
        }}
      />
    );
  }
  if (phase.kind === 'anonymous') {
    return (
      <AuthPage
        mode={phase.registrationOpen ? 'register' : 'login'}
        notice={phase.notice}
        onLoggedIn={(me, registered) => {
          setPhase(registered ? { kind: 'in', me, landing: '/getting-started' } : { kind: 'in', me });
        }}
      />
    );
  }
  if (phase.landing !== undefined) return <Navigate to={phase.landing} replace />;
  return (
    <SessionContext.Provider value={session}>
      <Routes>
        <Route element={<Shell />}>
          <Route index element={<Navigate to="/search" replace />} />
          <Route path="search" element={<SearchPage />} />
          <Route path="getting-started" element={<GettingStartedPage />} />
          <Route path="trace/:traceId" element={<TracePage />} />
          <Route path="charts" element={<ChartsPage />} />
          <Route path="dashboards" element={<DashboardsPage />} />
          <Route path="dashboards/:dashboardId" element={<DashboardPage />} />
          <Route path="services" element={<ServicesPage />} />
          <Route path="alerts/*" element={<AlertsPage />} />
          <Route path="team/*" element={<TeamPage />} />
          <Route path="preferences" element={<PreferencesPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </SessionContext.Provider>
  );
}

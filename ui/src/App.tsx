import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { api, ApiError, onUnauthorized } from './api';
import { AuthPage } from './pages/AuthPage';
import { GettingStartedPage } from './pages/GettingStartedPage';
import { JoinPage } from './pages/JoinPage';
import { NotFoundPage } from './pages/PlaceholderPage';
import { Shell } from './Shell';
import { Loading } from './components';
import { SessionContext, type Session } from './session';
import type { Me } from './types';

// Pages load when first opened, so the first paint (login, first data) stays small.
const AlertsPage = lazy(() => import('./pages/AlertsPage').then((m) => ({ default: m.AlertsPage })));
const ChartsPage = lazy(() => import('./pages/ChartsPage').then((m) => ({ default: m.ChartsPage })));
const DashboardPage = lazy(() => import('./pages/DashboardPage').then((m) => ({ default: m.DashboardPage })));
const DashboardsPage = lazy(() => import('./pages/DashboardsPage').then((m) => ({ default: m.DashboardsPage })));
const PreferencesPage = lazy(() => import('./pages/PreferencesPage').then((m) => ({ default: m.PreferencesPage })));
const SearchPage = lazy(() => import('./pages/SearchPage').then((m) => ({ default: m.SearchPage })));
const ServicesPage = lazy(() => import('./pages/ServicesPage').then((m) => ({ default: m.ServicesPage })));
const TeamPage = lazy(() => import('./pages/TeamPage').then((m) => ({ default: m.TeamPage })));
const TracePage = lazy(() => import('./pages/TracePage').then((m) => ({ default: m.TracePage })));

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
}

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

  const setMe = useCallback((me: Me) => setPhase({ kind: 'in', me }), []);
  const session: Session | null = useMemo(
    () => (phase.kind === 'in' ? { me: phase.me, logout, setMe } : null),
    [phase, logout, setMe],
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
        <Route element={<Shell key={phase.me.team.id} />}>
          <Route index element={<Navigate to="/search" replace />} />
          <Route path="search" element={
              <Page>
                <SearchPage />
              </Page>
            } />
          <Route path="getting-started" element={<GettingStartedPage />} />
          <Route path="trace/:traceId" element={
              <Page>
                <TracePage />
              </Page>
            } />
          <Route path="charts" element={
              <Page>
                <ChartsPage />
              </Page>
            } />
          <Route path="dashboards" element={
              <Page>
                <DashboardsPage />
              </Page>
            } />
          <Route path="dashboards/:dashboardId" element={
              <Page>
                <DashboardPage />
              </Page>
            } />
          <Route path="services" element={
              <Page>
                <ServicesPage />
              </Page>
            } />
          <Route path="alerts/*" element={
              <Page>
                <AlertsPage />
              </Page>
            } />
          <Route path="team/*" element={
              <Page>
                <TeamPage />
              </Page>
            } />
          <Route path="preferences" element={
              <Page>
                <PreferencesPage />
              </Page>
            } />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </SessionContext.Provider>
  );
}

/** Team settings: one tab per area, each its own address (/team/<tab>); the tabs live in ../team/. */
import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { useSession } from '../session';
import { ApiKeysTab } from '../team/ApiKeysTab';
import { ConnectionsTab } from '../team/ConnectionsTab';
import { IngestionKeysTab } from '../team/IngestionKeysTab';
import { InvitationsTab } from '../team/InvitationsTab';
import { MembersTab } from '../team/MembersTab';
import { RetentionTab } from '../team/RetentionTab';
import { SourcesTab } from '../team/SourcesTab';
import { canDo, ROLE_HELP } from '../teamLogic';
import { TabNav } from '../ui/TabNav';
import '../styles/team.css';

interface Tab {
  path: string;
  label: string;
  element: ReactNode;
  /** For tabs only admins may use: what the others are told they cannot manage. */
  adminsManage?: string;
}

const TABS: Tab[] = [
  { path: 'members', label: 'Members', element: <MembersTab /> },
  { path: 'invitations', label: 'Invitations', element: <InvitationsTab />, adminsManage: 'invitations' },
  {
    path: 'ingestion-keys',
    label: 'Ingestion keys',
    element: <IngestionKeysTab />,
    adminsManage: "the team's ingestion keys",
  },
  { path: 'api-keys', label: 'API keys', element: <ApiKeysTab /> },
  { path: 'connections', label: 'Connections', element: <ConnectionsTab /> },
  { path: 'sources', label: 'Sources', element: <SourcesTab /> },
  { path: 'retention', label: 'Retention', element: <RetentionTab /> },
];

export function TeamPage() {
  const { me } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const location = useLocation();
  const here = location.pathname.replace(/\/+$/, '');
  const tabs = TABS.filter((tab) => isAdmin || tab.adminsManage === undefined).map((tab) => ({
    to: `/team/${tab.path}`,
    label: tab.label,
    active: here.endsWith(`/team/${tab.path}`),
  }));
  return (
    <section className="page team-page">
      <h1>Team settings</h1>
      <p className="muted team-sub">
        <strong>{me.team.name}</strong> · you are {me.team.role === 'admin' ? 'an' : 'a'} <strong>{me.team.role}</strong>{' '}
        ({ROLE_HELP[me.team.role]})
      </p>
      <TabNav label="Team settings" tabs={tabs} />
      <div className="team-panel" role="tabpanel">
        <Routes>
          <Route index element={<Navigate to="members" replace />} />
          {TABS.map((tab) => (
            <Route
              key={tab.path}
              path={tab.path}
              element={isAdmin || tab.adminsManage === undefined ? tab.element : <AdminsOnly what={tab.adminsManage} />}
            />
          ))}
          <Route path="*" element={<Navigate to="/team/members" replace />} />
        </Routes>
      </div>
    </section>
  );
}

function AdminsOnly({ what }: { what: string }) {
  return <p className="empty">Only admins of the team manage {what}. Ask one of them.</p>;
}

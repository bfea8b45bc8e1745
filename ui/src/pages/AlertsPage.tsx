/** Alerts and the channels they notify; the list, the alert page, the editor and webhooks live in ../alerts/. */
import { Route, Routes, useLocation } from 'react-router-dom';
import { AlertEditor } from '../alerts/AlertEditor';
import { AlertList } from '../alerts/AlertList';
import { AlertView } from '../alerts/AlertView';
import { WebhookList } from '../alerts/WebhookList';
import { TabNav } from '../ui/TabNav';
import '../styles/team.css';
import '../styles/alerts.css';

export function AlertsPage() {
  const location = useLocation();
  const onWebhooks = /\/alerts\/webhooks/.test(location.pathname);
  return (
    <section className="page alert-page">
      <h1>Alerts</h1>
      <TabNav
        label="Alerts"
        tabs={[
          { to: '/alerts', label: 'Alerts', active: !onWebhooks },
          { to: '/alerts/webhooks', label: 'Webhooks', active: onWebhooks },
        ]}
      />
      <Routes>
        <Route index element={<AlertList />} />
        <Route path="new" element={<AlertEditor />} />
        <Route path="webhooks" element={<WebhookList />} />
        <Route path=":alertId" element={<AlertView />} />
        <Route path=":alertId/edit" element={<AlertEditor />} />
      </Routes>
    </section>
  );
}

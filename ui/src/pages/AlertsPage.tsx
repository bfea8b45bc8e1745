/** Alerts and the webhooks they notify; the list, editor and webhooks live in ../alerts/. */
import { Route, Routes, useLocation } from 'react-router-dom';
import { AlertEditor } from '../alerts/AlertEditor';
import { AlertList } from '../alerts/AlertList';
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
      <p className="alert-note" role="note">
        Alerts and webhooks are saved now; evaluating alerts and sending notifications arrive in a later release, so every
        alert is <strong>not evaluated yet</strong>.
      </p>
      <Routes>
        <Route index element={<AlertList />} />
        <Route path="new" element={<AlertEditor />} />
        <Route path="webhooks" element={<WebhookList />} />
        <Route path=":alertId" element={<AlertEditor />} />
      </Routes>
    </section>
  );
}

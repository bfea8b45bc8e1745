import type { Alert } from '../alertsApi';
import { stateBadges } from './status';

/** An alert's state as coloured badges: ALERT / Pending / OK / not evaluated yet, silenced, disabled. */
export function StateBadges({ alert }: { alert: Pick<Alert, 'enabled' | 'windows' | 'status'> }) {
  return (
    <span className="alert-badges">
      {stateBadges(alert).map((badge) => (
        <span key={badge.tone} className={`alert-badge alert-badge-${badge.tone}`} title={badge.title}>
          {badge.label}
        </span>
      ))}
    </span>
  );
}

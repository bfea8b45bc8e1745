import { Link } from 'react-router-dom';

export interface TabLink {
  to: string;
  label: string;
  active: boolean;
}

/** Tabs that are links (each tab has its own address). Styled by styles/team.css. */
export function TabNav({ label, tabs }: { label: string; tabs: TabLink[] }) {
  return (
    <nav className="team-tabs" role="tablist" aria-label={label}>
      {tabs.map((tab) => (
        <Link
          key={tab.to}
          to={tab.to}
          role="tab"
          aria-selected={tab.active}
          className={tab.active ? 'team-tab active' : 'team-tab'}
        >
          {tab.label}
        </Link>
      ))}
    </nav>
  );
}

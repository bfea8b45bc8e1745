import { TabNav } from '../ui/TabNav';

/** A saved alert's two views: its state and history, and its editor. */
export function AlertTabs({ id, active }: { id: number; active: 'overview' | 'edit' }) {
  return (
    <TabNav
      label="Alert"
      tabs={[
        { to: `/alerts/${id}`, label: 'Status and history', active: active === 'overview' },
        { to: `/alerts/${id}/edit`, label: 'Edit', active: active === 'edit' },
      ]}
    />
  );
}

/** The team's dashboards: find, create, rename, duplicate and delete them. */
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ConfirmDialog, Dialog } from '../charts/Dialog';
import { chartsApi, type Dashboard } from '../chartsApi';
import { ErrorMessage, Loading } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { useSession } from '../session';
import { messageOf } from '../ui/problems';
import { useLoad } from '../ui/useLoad';
import '../styles/charts.css';

export function DashboardsPage() {
  const { prefs } = usePrefs();
  const navigate = useNavigate();
  const canEdit = useSession().me.team.role !== 'viewer';
  const { state: boards, reload } = useLoad((signal) => chartsApi.dashboards(signal));
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Dashboard | null>(null);
  const [deleting, setDeleting] = useState<Dashboard | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  const shown = useMemo(() => {
    if (boards.kind !== 'ready') return [];
    const needle = filter.trim().toLowerCase();
    return boards.value.filter((b) => !needle || b.name.toLowerCase().includes(needle));
  }, [boards, filter]);

  async function duplicate(board: Dashboard) {
    setActionError(null);
    try {
      await chartsApi.duplicateDashboard(board.id);
      reload();
    } catch (err) {
      setActionError(messageOf(err));
    }
  }

  async function remove(board: Dashboard) {
    setBusy(true);
    setActionError(null);
    try {
      await chartsApi.deleteDashboard(board.id);
      setDeleting(null);
      reload();
    } catch (err) {
      setActionError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page">
      <div className="dash-head">
        <h1>Dashboards</h1>
        <span className="chart-toolbar-gap" />
        {canEdit && (
          <button type="button" onClick={() => setCreating(true)}>
            New dashboard
          </button>
        )}
      </div>
      {boards.kind === 'loading' && <Loading what="dashboards" />}
      {boards.kind === 'error' && <ErrorMessage message={boards.message} />}
      {boards.kind === 'ready' && boards.value.length === 0 && (
        <div className="empty">
          <p>No dashboards yet.</p>
          <p className="muted">
            Create one here, or build a chart in <Link to="/charts">Charts</Link> and save it to a new dashboard.
          </p>
        </div>
      )}
      {boards.kind === 'ready' && boards.value.length > 0 && (
        <>
          <div className="chart-toolbar">
            <input
              type="search"
              aria-label="Filter dashboards"
              placeholder="Filter by name"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
            />
          </div>
          {!deleting && actionError && <ErrorMessage message={actionError} />}
          {shown.length === 0 ? (
            <p className="muted">No dashboard name contains “{filter}”.</p>
          ) : (
            <div className="table-wrap">
              <table className="dash-list">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Tiles</th>
                    <th>Updated</th>
                    <th>
                      <span className="chart-sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((board) => (
                    <tr key={board.id}>
                      <td>
                        <Link to={`/dashboards/${board.id}`}>{board.name}</Link>
                      </td>
                      <td>{board.tiles.length}</td>
                      <td className="muted">{formatInstant(board.updated_at, prefs, { ms: false })}</td>
                      <td className="dash-actions" hidden={!canEdit}>
                        <button type="button" className="secondary small" onClick={() => setRenaming(board)} aria-label={`Rename ${board.name}`}>
                          Rename
                        </button>
                        <button type="button" className="secondary small" onClick={() => void duplicate(board)} aria-label={`Duplicate ${board.name}`}>
                          Duplicate
                        </button>
                        <button
                          type="button"
                          className="secondary small"
                          onClick={() => {
                            setActionError(null);
                            setDeleting(board);
                          }}
                          aria-label={`Delete ${board.name}`}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {creating && (
        <NameDialog
          title="New dashboard"
          action="Create"
          initial=""
          onClose={() => setCreating(false)}
          onSave={async (name) => {
            const board = await chartsApi.createDashboard({ name, tags: [], time_range: '1h', refresh: 'off', tiles: [] });
            navigate(`/dashboards/${board.id}`);
          }}
        />
      )}
      {renaming && (
        <NameDialog
          title="Rename dashboard"
          action="Rename"
          initial={renaming.name}
          onClose={() => setRenaming(null)}
          onSave={async (name) => {
            await chartsApi.renameDashboard(renaming.id, name);
            setRenaming(null);
            reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete dashboard"
          message={`Delete “${deleting.name}” and its ${deleting.tiles.length} tile(s)? This cannot be undone.`}
          confirm="Delete"
          busy={busy}
          error={actionError}
          onConfirm={() => void remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

/** A dialog asking for a dashboard's name; the server's refusal shows under the box. */
export function NameDialog({
  title,
  action,
  initial,
  onSave,
  onClose,
}: {
  title: string;
  action: string;
  initial: string;
  onSave: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave(name.trim());
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} onClose={onClose}>
      <form className="chart-dialog-form" onSubmit={(e) => void submit(e)}>
        <label>
          <span>Name</span>
          <input
            aria-label="Name"
            value={name}
            maxLength={200}
            required
            autoFocus
            aria-invalid={error ? true : undefined}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        {error && <ErrorMessage message={error} />}
        <div className="chart-dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy || name.trim() === ''}>
            {action}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

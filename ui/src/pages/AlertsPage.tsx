import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, Route, Routes, useLocation, useNavigate, useParams } from 'react-router-dom';
import {
  AGGREGATIONS,
  alertBody,
  alertProblemField,
  alertToForm,
  emptyAlertForm,
  emptyWebhookForm,
  INTERVALS,
  isSilenced,
  SILENCE_CHOICES,
  silenceUntil,
  THRESHOLD_LABELS,
  THRESHOLD_TYPES,
  thresholdText,
  webhookBody,
  webhookToForm,
  withKind,
  type AlertForm,
  type Problems,
  type Target,
  type WebhookForm,
} from '../alertForm';
import {
  alertsApi,
  type Alert,
  type DashboardSummary,
  type SavedSearchSummary,
  type SourceSummary,
  type Webhook,
  type WebhookMethod,
} from '../alertsApi';
import { ErrorMessage, Loading } from '../components';
import { formatInstant } from '../prefs';
import { usePrefs } from '../prefsContext';
import { useSession } from '../session';
import { ConfirmButton, Field, fieldOf, messageOf, useLoad } from '../teamLoad';
import { canDo } from '../teamLogic';
import '../styles/team.css';
import '../styles/alerts.css';

/** Everything an alert can point at, to show names instead of ids. */
interface Lookups {
  webhooks: Webhook[];
  savedSearches: SavedSearchSummary[];
  dashboards: DashboardSummary[];
  sources: SourceSummary[];
}

async function loadLookups(signal: AbortSignal): Promise<Lookups> {
  const [webhooks, savedSearches, dashboards, sources] = await Promise.all([
    alertsApi.webhooks(signal),
    alertsApi.savedSearches(signal),
    alertsApi.dashboards(signal),
    alertsApi.sources(signal),
  ]);
  return { webhooks, savedSearches, dashboards, sources };
}

export function AlertsPage() {
  const location = useLocation();
  const onWebhooks = /\/alerts\/webhooks/.test(location.pathname);
  return (
    <section className="page alert-page">
      <h1>Alerts</h1>
      <nav className="team-tabs" role="tablist" aria-label="Alerts">
        <Link to="/alerts" role="tab" aria-selected={!onWebhooks} className={onWebhooks ? 'team-tab' : 'team-tab active'}>
          Alerts
        </Link>
        <Link
          to="/alerts/webhooks"
          role="tab"
          aria-selected={onWebhooks}
          className={onWebhooks ? 'team-tab active' : 'team-tab'}
        >
          Webhooks
        </Link>
      </nav>
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

// --- the list --------------------------------------------------------------------------------------

function watches(alert: Alert, lookups: Lookups): string {
  const source = (id: number | null) => lookups.sources.find((one) => one.id === id)?.name ?? `source #${id}`;
  if (alert.kind === 'search') {
    if (alert.saved_search_id !== null) {
      const saved = lookups.savedSearches.find((one) => one.id === alert.saved_search_id);
      return `Saved search “${saved?.name ?? `#${alert.saved_search_id}`}”`;
    }
    return `${source(alert.source_id)}: ${alert.query ? alert.query : 'all rows'}`;
  }
  if (alert.dashboard_id !== null) {
    const board = lookups.dashboards.find((one) => one.id === alert.dashboard_id);
    const tile = board?.tiles.find((one) => one.id === alert.tile_id);
    return `Tile “${tile?.title || alert.tile_id}” of ${board?.name ?? `dashboard #${alert.dashboard_id}`}`;
  }
  const series = alert.series;
  return `${source(alert.source_id)}: ${series?.aggregation ?? ''}${series?.field ? `(${series.field})` : ''}`;
}

function AlertList() {
  const { me } = useSession();
  const { prefs } = usePrefs();
  const canWrite = canDo(me.team.role, 'member');
  const { state } = useLoad(async (signal) => {
    const [alerts, lookups] = await Promise.all([alertsApi.alerts(signal), loadLookups(signal)]);
    return { alerts, lookups };
  });
  if (state.kind === 'loading') return <Loading what="alerts" />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  const { alerts, lookups } = state.value;
  const webhookName = (id: number) => lookups.webhooks.find((one) => one.id === id)?.name ?? `#${id}`;
  return (
    <>
      <div className="alert-toolbar">
        {canWrite ? (
          <Link className="alert-button" to="/alerts/new">
            New alert
          </Link>
        ) : (
          <span className="muted">Viewers read alerts; members and admins make and change them.</span>
        )}
      </div>
      {alerts.length === 0 ? (
        <div className="empty">
          <p>No alerts yet.</p>
          <p className="muted">
            An alert counts the rows of a saved search (or a query on a source), or watches a dashboard chart, and tells
            webhooks when the number crosses a threshold.
          </p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Watches</th>
                <th>Fires when</th>
                <th>Every</th>
                <th>Channels</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((alert) => {
                const silenced = isSilenced(alert);
                return (
                  <tr key={alert.id}>
                    <td>
                      <Link to={`/alerts/${alert.id}`}>{alert.name}</Link>
                    </td>
                    <td>{alert.kind}</td>
                    <td className="alert-watch">{watches(alert, lookups)}</td>
                    <td>
                      <code>
                        {alert.kind === 'search' ? 'count' : 'value'} {thresholdText(alert)}
                      </code>
                      {alert.group_by.length > 0 && <div className="muted small-print">per {alert.group_by.join(', ')}</div>}
                    </td>
                    <td>
                      {alert.interval}
                      {alert.windows > 1 && <span className="muted"> × {alert.windows} windows</span>}
                    </td>
                    <td>
                      {alert.channels.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        alert.channels.map(webhookName).join(', ')
                      )}
                    </td>
                    <td className="alert-state">
                      <span className={`team-status team-status-${alert.enabled ? 'active' : 'disabled'}`}>
                        {alert.enabled ? 'enabled' : 'disabled'}
                      </span>
                      {silenced && alert.silenced_until && (
                        <span className="team-status team-status-silenced">
                          silenced until {formatInstant(alert.silenced_until, prefs, { ms: false })}
                        </span>
                      )}
                      <span className="muted small-print">not evaluated yet</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

// --- the editor ------------------------------------------------------------------------------------

function AlertEditor() {
  const { alertId } = useParams();
  const id = alertId === undefined ? null : Number(alertId);
  const { state } = useLoad(async (signal) => {
    const [alert, lookups] = await Promise.all([
      id === null || !Number.isInteger(id) ? Promise.resolve(null) : alertsApi.alert(id, signal),
      loadLookups(signal),
    ]);
    return { alert, lookups };
  }, alertId ?? 'new');
  if (alertId !== undefined && (id === null || !Number.isInteger(id))) return <ErrorMessage message="No such alert." />;
  if (state.kind === 'loading') return <Loading what="the alert" />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  return <AlertFormView key={alertId ?? 'new'} alert={state.value.alert} lookups={state.value.lookups} />;
}

function Choice<T extends string>({
  name,
  value,
  options,
  onChange,
}: {
  name: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  return (
    <div className="alert-choice" role="radiogroup" aria-label={name}>
      {options.map((option) => (
        <label key={option.value}>
          <input type="radio" name={name} checked={value === option.value} onChange={() => onChange(option.value)} />
          {option.label}
        </label>
      ))}
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="alert-section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

function AlertFormView({ alert, lookups }: { alert: Alert | null; lookups: Lookups }) {
  const { me } = useSession();
  const { prefs } = usePrefs();
  const navigate = useNavigate();
  const location = useLocation();
  const canWrite = canDo(me.team.role, 'member');
  const [form, setForm] = useState<AlertForm>(() => (alert ? alertToForm(alert) : emptyAlertForm()));
  const [saved, setSaved] = useState<Alert | null>(alert);
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  // A new alert's editor reopens at its own address: the notice travels in the history state.
  const [notice, setNotice] = useState<string | null>(() => {
    const state: unknown = location.state;
    return typeof state === 'object' && state !== null && 'notice' in state ? String(state.notice) : null;
  });
  const [silenceChoice, setSilenceChoice] = useState('1h');
  const set = (change: Partial<AlertForm>) => setForm((current) => ({ ...current, ...change }));

  const chartTiles = (dashboardId: string) =>
    lookups.dashboards
      .find((one) => String(one.id) === dashboardId)
      ?.tiles.filter((tile) => tile.chart.display !== 'markdown') ?? [];

  async function save(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    const result = alertBody(form);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      const answer = saved
        ? await alertsApi.replaceAlert(saved.id, result.body)
        : await alertsApi.createAlert(result.body);
      setSaved(answer);
      setForm(alertToForm(answer));
      setNotice('Saved.');
      if (!saved) navigate(`/alerts/${answer.id}`, { replace: true, state: { notice: 'Saved.' } });
    } catch (err) {
      setProblems({ [alertProblemField(fieldOf(err))]: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  async function silence(on: boolean) {
    if (!saved) return;
    setNotice(null);
    try {
      const answer = on ? await alertsApi.silence(saved.id, silenceUntil(silenceChoice)) : await alertsApi.unsilence(saved.id);
      setSaved(answer);
      set({ silenced_until: answer.silenced_until });
    } catch (err) {
      setProblems({ silence: messageOf(err) });
    }
  }

  async function remove() {
    if (!saved) return;
    try {
      await alertsApi.deleteAlert(saved.id);
      navigate('/alerts');
    } catch (err) {
      setProblems({ form: messageOf(err) });
    }
  }

  const known = new Set([
    'name',
    'saved_search_id',
    'source_id',
    'query',
    'dashboard_id',
    'tile_id',
    'series.field',
    'series.where',
    'threshold_type',
    'threshold',
    'range.low',
    'range.high',
    'interval',
    'windows',
    'group_by',
    'channels',
    'message',
    'silence',
  ]);
  const stray = Object.entries(problems).filter(([field]) => !known.has(field));
  const isRange = form.threshold_type === 'outside_range' || form.threshold_type === 'inside_range';
  const silenced = saved !== null && isSilenced(saved);

  return (
    <form className="team-form alert-editor" onSubmit={(e) => void save(e)} noValidate aria-label="Alert">
      <div className="alert-editor-head">
        <h2>{saved ? `Alert “${saved.name}”` : 'New alert'}</h2>
        <Link to="/alerts">← All alerts</Link>
      </div>
      {!canWrite && <p className="alert-note">You are a viewer: you can read this alert but not change it.</p>}
      <fieldset disabled={!canWrite} className="alert-all">
        <div className="team-grid">
          <Field label="Name" problem={problems.name}>
            <input value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
          </Field>
          <label className="team-check alert-enabled">
            <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
          </label>
        </div>

        <Section title="What to watch">
          <Choice
            name="Alert kind"
            value={form.kind}
            options={[
              { value: 'search', label: 'Search: the number of matching rows' },
              { value: 'chart', label: 'Chart: the value of a series' },
            ]}
            onChange={(kind) => setForm((current) => withKind(current, kind))}
          />
          <Choice<Target>
            name="Target"
            value={form.target}
            options={
              form.kind === 'search'
                ? [
                    { value: 'saved', label: 'A saved search' },
                    { value: 'inline', label: 'A query on a source' },
                  ]
                : [
                    { value: 'tile', label: 'A dashboard tile' },
                    { value: 'series', label: 'A series on a source' },
                  ]
            }
            onChange={(target) => set({ target })}
          />
          {form.target === 'saved' && (
            <Field
              label="Saved search"
              problem={problems.saved_search_id}
              hint={lookups.savedSearches.length === 0 ? 'No saved searches yet: save one on the Search page.' : undefined}
            >
              <select value={form.saved_search_id} onChange={(e) => set({ saved_search_id: e.target.value })}>
                <option value="">Choose…</option>
                {lookups.savedSearches.map((one) => (
                  <option key={one.id} value={one.id}>
                    {one.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
          {(form.target === 'inline' || form.target === 'series') && (
            <Field label="Source" problem={problems.source_id}>
              <select value={form.source_id} onChange={(e) => set({ source_id: e.target.value })}>
                <option value="">Choose…</option>
                {lookups.sources.map((one) => (
                  <option key={one.id} value={one.id}>
                    {one.name} ({one.kind})
                  </option>
                ))}
              </select>
            </Field>
          )}
          {form.target === 'inline' && (
            <div className="alert-query">
              <Field label="Query" problem={problems.query} hint="Empty counts every row.">
                <input
                  className="team-mono"
                  value={form.query}
                  onChange={(e) => set({ query: e.target.value })}
                  placeholder="SeverityText:error"
                />
              </Field>
              <Field label="Language">
                <select value={form.language} onChange={(e) => set({ language: e.target.value as 'lucene' | 'sql' })}>
                  <option value="lucene">search syntax</option>
                  <option value="sql">SQL WHERE</option>
                </select>
              </Field>
            </div>
          )}
          {form.target === 'tile' && (
            <div className="team-grid">
              <Field
                label="Dashboard"
                problem={problems.dashboard_id}
                hint={lookups.dashboards.length === 0 ? 'No dashboards yet.' : undefined}
              >
                <select value={form.dashboard_id} onChange={(e) => set({ dashboard_id: e.target.value, tile_id: '' })}>
                  <option value="">Choose…</option>
                  {lookups.dashboards.map((one) => (
                    <option key={one.id} value={one.id}>
                      {one.name}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Tile" problem={problems.tile_id}>
                <select value={form.tile_id} onChange={(e) => set({ tile_id: e.target.value })} disabled={form.dashboard_id === ''}>
                  <option value="">Choose…</option>
                  {chartTiles(form.dashboard_id).map((tile) => (
                    <option key={tile.id} value={tile.id}>
                      {tile.title || tile.id} ({tile.chart.display})
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          )}
          {form.target === 'series' && (
            <div className="team-grid">
              <Field label="Aggregation">
                <select
                  value={form.aggregation}
                  onChange={(e) => set({ aggregation: e.target.value as AlertForm['aggregation'] })}
                >
                  {AGGREGATIONS.map((one) => (
                    <option key={one} value={one}>
                      {one}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Field" problem={problems['series.field']} hint="Not needed for count.">
                <input className="team-mono" value={form.field} onChange={(e) => set({ field: e.target.value })} placeholder="Duration" />
              </Field>
              <Field label="Where" problem={problems['series.where']}>
                <input className="team-mono" value={form.where} onChange={(e) => set({ where: e.target.value })} />
              </Field>
            </div>
          )}
        </Section>

        <Section title="When it fires">
          <div className="alert-when">
            <span>When the {form.kind === 'search' ? 'count' : 'value'} is</span>
            <select
              aria-label="Threshold type"
              value={form.threshold_type}
              onChange={(e) => set({ threshold_type: e.target.value as AlertForm['threshold_type'] })}
            >
              {THRESHOLD_TYPES[form.kind].map((type) => (
                <option key={type} value={type}>
                  {THRESHOLD_LABELS[type]}
                </option>
              ))}
            </select>
            {isRange ? (
              <>
                <input
                  aria-label="Low"
                  inputMode="decimal"
                  className="alert-number"
                  value={form.low}
                  onChange={(e) => set({ low: e.target.value })}
                  aria-invalid={problems['range.low'] ? true : undefined}
                />
                <span>to</span>
                <input
                  aria-label="High"
                  inputMode="decimal"
                  className="alert-number"
                  value={form.high}
                  onChange={(e) => set({ high: e.target.value })}
                  aria-invalid={problems['range.high'] ? true : undefined}
                />
              </>
            ) : (
              <input
                aria-label="Threshold"
                inputMode="decimal"
                className="alert-number"
                value={form.threshold}
                onChange={(e) => set({ threshold: e.target.value })}
                aria-invalid={problems.threshold ? true : undefined}
              />
            )}
            <span>in a window of</span>
            <select
              aria-label="Interval"
              value={form.interval}
              onChange={(e) => set({ interval: e.target.value as AlertForm['interval'] })}
            >
              {INTERVALS.map((one) => (
                <option key={one} value={one}>
                  {one}
                </option>
              ))}
            </select>
            <span>for</span>
            <input
              aria-label="Consecutive windows"
              inputMode="numeric"
              className="alert-number small"
              value={form.windows}
              onChange={(e) => set({ windows: e.target.value })}
              aria-invalid={problems.windows ? true : undefined}
            />
            <span>consecutive window{form.windows === '1' ? '' : 's'}.</span>
          </div>
          {['threshold_type', 'threshold', 'range.low', 'range.high', 'interval', 'windows'].map(
            (field) =>
              problems[field] && (
                <p key={field} className="team-problem" role="alert">
                  {problems[field]}
                </p>
              ),
          )}
          <Field
            label="Group by (optional)"
            problem={problems.group_by}
            hint="One expression a line, up to 3: each group is checked on its own, e.g. ServiceName."
          >
            <textarea rows={2} value={form.group_by} onChange={(e) => set({ group_by: e.target.value })} />
          </Field>
        </Section>

        <Section title="Notify">
          {lookups.webhooks.length === 0 ? (
            <p className="muted">
              No webhooks yet. <Link to="/alerts/webhooks">Add one</Link> to be told when this alert fires.
            </p>
          ) : (
            <div className="alert-channels" role="group" aria-label="Channels">
              {lookups.webhooks.map((webhook) => (
                <label key={webhook.id} className="team-check">
                  <input
                    type="checkbox"
                    checked={form.channels.includes(webhook.id)}
                    onChange={(e) =>
                      set({
                        channels: e.target.checked
                          ? [...form.channels, webhook.id]
                          : form.channels.filter((one) => one !== webhook.id),
                      })
                    }
                  />
                  {webhook.name} <span className="muted">({webhook.kind})</span>
                </label>
              ))}
            </div>
          )}
          {problems.channels && (
            <p className="team-problem" role="alert">
              {problems.channels}
            </p>
          )}
          <Field label="Message (optional)" problem={problems.message} wide>
            <textarea rows={3} value={form.message} onChange={(e) => set({ message: e.target.value })} />
          </Field>
        </Section>

        {stray.map(([field, message]) => (
          <ErrorMessage key={field} message={message} />
        ))}
        <div className="team-buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : saved ? 'Save alert' : 'Create alert'}
          </button>
          <Link to="/alerts">Cancel</Link>
          {notice && (
            <span className="ok" role="status">
              {notice}
            </span>
          )}
          {saved && (
            <span className="alert-delete">
              <ConfirmButton label="Delete alert" question="Delete this alert?" confirmLabel="Yes, delete" onConfirm={remove} />
            </span>
          )}
        </div>
      </fieldset>

      {saved && (
        <Section title="Silence">
          <p>
            State: <strong>not evaluated yet</strong>
            {silenced && saved.silenced_until ? (
              <>
                {' '}
                · <span data-testid="silenced-until">silenced until {formatInstant(saved.silenced_until, prefs, { ms: false })}</span>
              </>
            ) : (
              ' · not silenced'
            )}
          </p>
          {canWrite && (
            <div className="team-buttons">
              <label>
                Silence for{' '}
                <select aria-label="Silence for" value={silenceChoice} onChange={(e) => setSilenceChoice(e.target.value)}>
                  {SILENCE_CHOICES.map((one) => (
                    <option key={one.value} value={one.value}>
                      {one.label}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" className="secondary" onClick={() => void silence(true)}>
                Silence
              </button>
              {silenced && (
                <button type="button" className="secondary" onClick={() => void silence(false)}>
                  Unsilence
                </button>
              )}
            </div>
          )}
          {problems.silence && <ErrorMessage message={problems.silence} />}
          <p className="muted small-print">A silenced alert is still evaluated; it only sends no notifications.</p>
        </Section>
      )}
    </form>
  );
}

// --- webhooks --------------------------------------------------------------------------------------

function WebhookList() {
  const { me } = useSession();
  const canWrite = canDo(me.team.role, 'member');
  const { state, reload } = useLoad(async (signal) => {
    const [webhooks, alerts] = await Promise.all([alertsApi.webhooks(signal), alertsApi.alerts(signal)]);
    return { webhooks, alerts };
  });
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function remove(webhook: Webhook) {
    setError(null);
    try {
      await alertsApi.deleteWebhook(webhook.id);
      reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      <div className="alert-toolbar">
        {canWrite && editing === null && (
          <button type="button" onClick={() => setEditing('new')}>
            New webhook
          </button>
        )}
        {!canWrite && <span className="muted">Viewers see webhooks; members and admins make and change them.</span>}
      </div>
      {editing !== null && (
        <WebhookEditor
          webhook={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) reload();
          }}
        />
      )}
      {error && <ErrorMessage message={error} />}
      {state.kind === 'loading' && <Loading what="webhooks" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && state.value.webhooks.length === 0 && (
        <div className="empty">
          <p>No webhooks yet.</p>
          <p className="muted">A webhook is where alerts send notifications: any HTTP endpoint, or a Slack channel.</p>
        </div>
      )}
      {state.kind === 'ready' && state.value.webhooks.length > 0 && (
        <div className="table-wrap">
          <table className="team-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>URL</th>
                <th>Method</th>
                <th>Headers</th>
                <th>Used by</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {state.value.webhooks.map((webhook) => {
                const users = state.value.alerts.filter((alert) => alert.channels.includes(webhook.id));
                return (
                  <tr key={webhook.id}>
                    <td>{webhook.name}</td>
                    <td>{webhook.kind === 'slack' ? 'Slack' : 'generic'}</td>
                    <td className="alert-url">
                      <code>{webhook.url}</code>
                    </td>
                    <td>{webhook.method ?? 'POST'}</td>
                    <td>
                      {webhook.header_names.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        webhook.header_names.join(', ')
                      )}
                    </td>
                    <td>
                      {users.length === 0 ? (
                        <span className="muted">no alerts</span>
                      ) : (
                        users.map((alert) => alert.name).join(', ')
                      )}
                    </td>
                    <td className="team-actions">
                      {canWrite && (
                        <>
                          <button type="button" className="secondary small" onClick={() => setEditing(webhook)}>
                            Edit
                          </button>
                          <ConfirmButton
                            label="Delete"
                            question={`Delete ${webhook.name}?`}
                            confirmLabel="Yes, delete"
                            onConfirm={() => remove(webhook)}
                          />
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const METHODS: WebhookMethod[] = ['POST', 'PUT', 'PATCH'];

function WebhookEditor({ webhook, onDone }: { webhook: Webhook | null; onDone: (saved: boolean) => void }) {
  const [form, setForm] = useState<WebhookForm>(() => (webhook ? webhookToForm(webhook) : emptyWebhookForm()));
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<WebhookForm>) => setForm((current) => ({ ...current, ...change }));

  async function save(event: FormEvent) {
    event.preventDefault();
    const result = webhookBody(form, webhook !== null);
    if ('problems' in result) {
      setProblems(result.problems);
      return;
    }
    setProblems({});
    setBusy(true);
    try {
      if (webhook) await alertsApi.changeWebhook(webhook.id, result.body);
      else await alertsApi.createWebhook(result.body);
      onDone(true);
    } catch (err) {
      const field = (fieldOf(err) ?? 'form').split('.')[0] ?? 'form';
      setProblems({ [field]: messageOf(err) });
      setBusy(false);
    }
  }

  const known = new Set(['name', 'kind', 'url', 'method', 'headers', 'body_template']);
  const stray = Object.entries(problems).filter(([field]) => !known.has(field));
  const stored = webhook?.header_names ?? [];
  return (
    <form className="team-form team-editor" onSubmit={(e) => void save(e)} noValidate aria-label="Webhook">
      <h2>{webhook ? `Edit webhook “${webhook.name}”` : 'New webhook'}</h2>
      <div className="team-grid">
        <Field label="Name" problem={problems.name}>
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
        </Field>
        <Field label="Kind" problem={problems.kind}>
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as WebhookForm['kind'] })}>
            <option value="generic">Generic HTTP</option>
            <option value="slack">Slack incoming webhook</option>
          </select>
        </Field>
        {form.kind === 'generic' && (
          <Field label="Method" problem={problems.method}>
            <select value={form.method} onChange={(e) => set({ method: e.target.value as WebhookMethod })}>
              {METHODS.map((one) => (
                <option key={one} value={one}>
                  {one}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      <Field
        label="URL"
        problem={problems.url}
        hint={form.kind === 'slack' ? 'From Slack: https://hooks.slack.com/services/…' : 'http(s)://host/path'}
      >
        <input
          className="team-mono"
          value={form.url}
          onChange={(e) => set({ url: e.target.value })}
          placeholder={form.kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/hooks/otelhouse'}
        />
      </Field>
      {form.kind === 'generic' && (
        <>
          <Field
            label="Headers"
            problem={problems.headers}
            hint={
              stored.length > 0
                ? `Write-only. Saved: ${stored.join(', ')}. Leave empty to keep them; type new ones to replace them all.`
                : 'Write-only: one "Name: value" a line, e.g. Authorization: Bearer …'
            }
          >
            <textarea
              rows={3}
              value={form.headers}
              disabled={form.clearHeaders}
              onChange={(e) => set({ headers: e.target.value })}
              placeholder="Authorization: Bearer …"
              spellCheck={false}
            />
          </Field>
          {stored.length > 0 && (
            <label className="team-check">
              <input type="checkbox" checked={form.clearHeaders} onChange={(e) => set({ clearHeaders: e.target.checked })} />
              Remove the saved headers
            </label>
          )}
          <Field label="Body template (optional)" problem={problems.body_template} hint="Up to 10 kB.">
            <textarea
              rows={4}
              value={form.body_template}
              onChange={(e) => set({ body_template: e.target.value })}
              spellCheck={false}
            />
          </Field>
        </>
      )}
      {stray.map(([field, message]) => (
        <ErrorMessage key={field} message={message} />
      ))}
      <div className="team-buttons">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save webhook'}
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { alertBody, alertProblemField, alertToForm, emptyAlertForm, prefillAlert, type AlertForm, type Prefill } from '../alertForm';
import { alertsApi, type Alert } from '../alertsApi';
import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { canDo } from '../teamLogic';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Field, StrayProblems } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { messageOf } from '../ui/problems';
import { useSave } from '../ui/saving';
import { useLoad } from '../ui/useLoad';
import { AlertTabs } from './AlertTabs';
import { NotifySection } from './NotifySection';
import { WatchSection } from './WatchSection';
import { WhenSection } from './WhenSection';
import { loadLookups, type Lookups } from './lookups';

/** The fields that show their own problem; the others are listed under the form. */
const KNOWN = [
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
];

/**
 * /alerts/new (prefilled from `?source=&q=&lang=` or `?dashboard=&tile=`) or /alerts/<id>/edit: loads the
 * alert and what it can point at, then edits it.
 */
export function AlertEditor() {
  const { alertId } = useParams();
  const [params] = useSearchParams();
  const id = alertId === undefined ? null : Number(alertId);
  const valid = id !== null && Number.isInteger(id);
  const { state } = useLoad(async (signal) => {
    const [alert, lookups] = await Promise.all([valid ? alertsApi.alert(id, signal) : Promise.resolve(null), loadLookups(signal)]);
    return { alert, lookups };
  }, alertId ?? 'new');
  if (alertId !== undefined && !valid) return <ErrorMessage message="No such alert." />;
  return (
    <LoadedList state={state} what="the alert">
      {(value) => (
        <AlertFormView
          key={alertId ?? `new?${params.toString()}`}
          alert={value.alert}
          lookups={value.lookups}
          prefill={value.alert ? null : prefillAlert(params, value.lookups)}
        />
      )}
    </LoadedList>
  );
}

/** The notice ("Saved.") a new alert's editor carries to its own address in the history state. */
function noticeFrom(state: unknown): string | null {
  return typeof state === 'object' && state !== null && 'notice' in state ? String(state.notice) : null;
}

function AlertFormView({ alert, lookups, prefill }: { alert: Alert | null; lookups: Lookups; prefill: Prefill | null }) {
  const { me } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const canWrite = canDo(me.team.role, 'member');
  const [form, setForm] = useState<AlertForm>(() => (alert ? alertToForm(alert) : (prefill?.form ?? emptyAlertForm())));
  const [saved, setSaved] = useState<Alert | null>(alert);
  const { problems, setProblems, busy, save: send } = useSave();
  const [notice, setNotice] = useState<string | null>(() => noticeFrom(location.state));
  const set = (change: Partial<AlertForm>) => setForm((current) => ({ ...current, ...change }));

  function save(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    void send(
      alertBody(form),
      async (body) => {
        const answer = saved ? await alertsApi.replaceAlert(saved.id, body) : await alertsApi.createAlert(body);
        setSaved(answer);
        setForm(alertToForm(answer));
        setNotice('Saved.');
        // A new alert opens on its status page (its history starts there).
        if (!saved) navigate(`/alerts/${answer.id}`, { replace: true, state: { notice: 'Saved.' } });
      },
      alertProblemField,
    );
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

  const sections = { form, set, problems, lookups };
  return (
    <form className="team-form alert-editor" onSubmit={save} noValidate aria-label="Alert">
      <div className="alert-editor-head">
        <h2>{saved ? `Alert “${saved.name}”` : 'New alert'}</h2>
        <Link to="/alerts">← All alerts</Link>
      </div>
      {saved && <AlertTabs id={saved.id} active="edit" />}
      {!saved && prefill?.note && (
        <p className="alert-note" role="note">
          {prefill.note}
        </p>
      )}
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
        <WatchSection {...sections} setForm={setForm} />
        <WhenSection {...sections} />
        <NotifySection {...sections} />
        <StrayProblems problems={problems} known={KNOWN} />
        <div className="team-buttons">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : saved ? 'Save alert' : 'Create alert'}
          </button>
          <Link to={saved ? `/alerts/${saved.id}` : '/alerts'}>Cancel</Link>
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
    </form>
  );
}

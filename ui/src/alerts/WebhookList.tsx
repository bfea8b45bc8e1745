import { useState } from 'react';
import { alertsApi, type Alert, type TestResult, type Webhook } from '../alertsApi';
import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { canDo } from '../teamLogic';
import { EditDeleteButtons } from '../ui/ConfirmButton';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useAction } from '../ui/useAction';
import { recordOf, useEditor } from '../ui/useEditor';
import { useLoad } from '../ui/useLoad';
import { messageOf } from '../ui/problems';
import { testOutcomeText } from './status';
import { WebhookEditor } from './WebhookEditor';

const KIND_LABELS: Record<Webhook['kind'], string> = { generic: 'generic', slack: 'Slack', email: 'email' };

/** A list's words, or a muted "none" note when it is empty. */
function namesOr(names: string[], none: string) {
  return names.length === 0 ? <span className="muted">{none}</span> : names.join(', ');
}

export function WebhookList() {
  const { me } = useSession();
  const canWrite = canDo(me.team.role, 'member');
  const { state, reload } = useLoad(async (signal) => {
    const [webhooks, alerts] = await Promise.all([alertsApi.webhooks(signal), alertsApi.alerts(signal)]);
    return { webhooks, alerts };
  });
  const { editing, edit, done } = useEditor<Webhook>(reload);
  const action = useAction();

  const remove = (webhook: Webhook) =>
    action.run(async () => {
      await alertsApi.deleteWebhook(webhook.id);
      reload();
    });

  /** The names of the alerts that notify this webhook. */
  const usedBy = (webhook: Webhook, alerts: Alert[]) =>
    alerts.filter((alert) => alert.channels.includes(webhook.id)).map((alert) => alert.name);

  return (
    <>
      <div className="alert-toolbar">
        {canWrite && editing === null && (
          <button type="button" onClick={() => edit('new')}>
            New webhook
          </button>
        )}
        {!canWrite && <span className="muted">Viewers see webhooks; members and admins make and change them.</span>}
      </div>
      {editing !== null && <WebhookEditor webhook={recordOf(editing)} onDone={done} />}
      {action.error && <ErrorMessage message={action.error} />}
      <LoadedList
        state={state}
        what="webhooks"
        isEmpty={(value) => value.webhooks.length === 0}
        empty={
          <div className="empty">
            <p>No webhooks yet.</p>
            <p className="muted">
              A webhook is where alerts send notifications: any HTTP endpoint, a Slack channel, or email addresses.
            </p>
          </div>
        }
      >
        {({ webhooks, alerts }) => (
          <RecordTable
            rows={webhooks}
            rowKey={(webhook) => webhook.id}
            columns={[
              { title: 'Name', cell: (webhook) => webhook.name },
              { title: 'Kind', cell: (webhook) => KIND_LABELS[webhook.kind] },
              {
                title: 'Sends to',
                cell: (webhook) =>
                  webhook.kind === 'email' ? (
                    <span className="alert-recipients">{webhook.recipients.join(', ')}</span>
                  ) : (
                    <code>{webhook.url}</code>
                  ),
                className: 'alert-url',
              },
              { title: 'Method', cell: (webhook) => (webhook.kind === 'email' ? '—' : (webhook.method ?? 'POST')) },
              {
                title: 'Headers',
                cell: (webhook) => (webhook.kind === 'email' ? '—' : namesOr(webhook.header_names, 'none')),
              },
              { title: 'Used by', cell: (webhook) => namesOr(usedBy(webhook, alerts), 'no alerts') },
            ]}
            rowData={(webhook) => ({ 'data-webhook-id': webhook.id })}
            actions={(webhook) =>
              canWrite && (
                <div className="alert-webhook-actions">
                  <div className="alert-webhook-buttons">
                    <EditDeleteButtons name={webhook.name} onEdit={() => edit(webhook)} onDelete={() => remove(webhook)} />
                  </div>
                  <TestButton webhook={webhook} />
                </div>
              )
            }
          />
        )}
      </LoadedList>
    </>
  );
}

/** "Send test notification": one real delivery to the channel, and what came of it. */
function TestButton({ webhook }: { webhook: Webhook }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  async function send() {
    setBusy(true);
    setOutcome(null);
    try {
      const result: TestResult = await alertsApi.testWebhook(webhook.id);
      setOutcome({ ok: result.ok, text: testOutcomeText(result) });
    } catch (err) {
      setOutcome({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="alert-test">
      <button
        type="button"
        className="secondary small"
        disabled={busy}
        onClick={() => void send()}
        aria-label={`Send test notification to ${webhook.name}`}
      >
        {busy ? 'Sending…' : 'Send test notification'}
      </button>
      {outcome && (
        <span className={outcome.ok ? 'ok small-print' : 'alert-error-text small-print'} role="status">
          {outcome.text}
        </span>
      )}
    </div>
  );
}

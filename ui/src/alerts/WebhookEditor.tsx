import { useState, type FormEvent } from 'react';
import { emptyWebhookForm, webhookBody, webhookToForm, type WebhookForm } from '../alertForm';
import { alertsApi, type Webhook, type WebhookMethod } from '../alertsApi';
import { Field, Options, StrayProblems } from '../ui/Field';
import type { Problems } from '../ui/problems';
import { SaveCancel, useSave } from '../ui/saving';

const METHODS: WebhookMethod[] = ['POST', 'PUT', 'PATCH'];
const FIELDS = ['name', 'kind', 'url', 'method', 'headers', 'body_template', 'recipients'];

/** Adds a channel (`webhook` null) or changes one: an HTTP endpoint, Slack, or email; headers are write-only. */
export function WebhookEditor({ webhook, onDone }: { webhook: Webhook | null; onDone: (saved: boolean) => void }) {
  const [form, setForm] = useState<WebhookForm>(() => (webhook ? webhookToForm(webhook) : emptyWebhookForm()));
  const { problems, busy, save: send } = useSave();
  const set = (change: Partial<WebhookForm>) => setForm((current) => ({ ...current, ...change }));

  function save(event: FormEvent) {
    event.preventDefault();
    void send(
      webhookBody(form, webhook !== null),
      async (body) => {
        if (webhook) await alertsApi.changeWebhook(webhook.id, body);
        else await alertsApi.createWebhook(body);
        onDone(true);
      },
      // "headers.X-Token" is the headers box's problem.
      (field) => (field ?? 'form').split('.')[0] ?? 'form',
    );
  }

  const generic = form.kind === 'generic';
  const email = form.kind === 'email';
  return (
    <form className="team-form team-editor" onSubmit={save} noValidate aria-label="Webhook">
      <h2>{webhook ? `Edit channel “${webhook.name}”` : 'New webhook'}</h2>
      <div className="team-grid">
        <Field label="Name" problem={problems.name}>
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} />
        </Field>
        <Field label="Kind" problem={problems.kind}>
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as WebhookForm['kind'] })}>
            <option value="generic">Generic HTTP</option>
            <option value="slack">Slack incoming webhook</option>
            <option value="email">Email</option>
          </select>
        </Field>
        {generic && (
          <Field label="Method" problem={problems.method}>
            <select value={form.method} onChange={(e) => set({ method: e.target.value as WebhookMethod })}>
              <Options items={METHODS} />
            </select>
          </Field>
        )}
      </div>
      {email ? (
        <Field
          label="Recipients"
          problem={problems.recipients}
          hint="One address a line (or separated by commas), up to 20. Sent through the server's SMTP settings."
        >
          <textarea
            rows={3}
            className="team-mono"
            value={form.recipients}
            onChange={(e) => set({ recipients: e.target.value })}
            placeholder="ops@example.com"
            spellCheck={false}
          />
        </Field>
      ) : (
        <Field
          label="URL"
          problem={problems.url}
          hint={generic ? 'http(s)://host/path' : 'From Slack: https://hooks.slack.com/services/…'}
        >
          <input
            className="team-mono"
            value={form.url}
            onChange={(e) => set({ url: e.target.value })}
            placeholder={generic ? 'https://example.com/hooks/otelhouse' : 'https://hooks.slack.com/services/…'}
          />
        </Field>
      )}
      {generic && <GenericFields form={form} set={set} problems={problems} stored={webhook?.header_names ?? []} />}
      <StrayProblems problems={problems} known={FIELDS} />
      <SaveCancel label="Save webhook" busy={busy} onCancel={() => onDone(false)} />
    </form>
  );
}

/** A generic webhook's headers (write-only: `stored` are the saved names) and body template. */
function GenericFields({
  form,
  set,
  problems,
  stored,
}: {
  form: WebhookForm;
  set: (change: Partial<WebhookForm>) => void;
  problems: Problems;
  stored: string[];
}) {
  return (
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
        <textarea rows={4} value={form.body_template} onChange={(e) => set({ body_template: e.target.value })} spellCheck={false} />
      </Field>
    </>
  );
}

import { useState, type FormEvent } from 'react';
import { appBase } from '../base';
import { ErrorMessage } from '../components';
import { teamApi, type Invitation } from '../teamApi';
import { invitationStatus, joinLink, ROLE_HELP, ROLES } from '../teamLogic';
import type { Role } from '../types';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Field, Options, StrayProblems } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useSave } from '../ui/saving';
import { SecretBox } from '../ui/SecretBox';
import { useAction } from '../ui/useAction';
import { useLoad } from '../ui/useLoad';
import { Status } from '../ui/Status';
import { When } from '../ui/When';

export function InvitationsTab() {
  const { state, update, reload } = useLoad((signal) => teamApi.invitations(signal));
  const [made, setMade] = useState<{ link: string; invitation: Invitation } | null>(null);
  const action = useAction();

  const revoke = (invitation: Invitation) =>
    action.run(async () => {
      const revoked = await teamApi.revokeInvitation(invitation.id);
      update((list) => list.map((one) => (one.id === revoked.id ? revoked : one)));
    });

  return (
    <>
      <InviteForm
        onInvited={(link, invitation) => {
          setMade({ link, invitation });
          reload();
        }}
      />
      {made && (
        <SecretBox
          title="Invitation link"
          secret={made.link}
          testId="invitation-link"
          note={
            <>
              Shown once: send it to the person you invite. It works once, as a {made.invitation.role}
              {made.invitation.email ? ` for ${made.invitation.email}` : ''}, until <When value={made.invitation.expires_at} />.
            </>
          }
          onDone={() => setMade(null)}
        />
      )}
      <h2>Invitations</h2>
      {action.error && <ErrorMessage message={action.error} />}
      <LoadedList
        state={state}
        what="invitations"
        empty={<p className="empty">No invitations yet. Create one above and send its link.</p>}
      >
        {(invitations) => (
          <RecordTable
            rows={invitations}
            rowKey={(invitation) => invitation.id}
            columns={[
              { title: 'For', cell: (one) => one.email || <span className="muted">anyone with the link</span> },
              { title: 'Role', cell: (one) => one.role },
              { title: 'Status', cell: (one) => <Status status={invitationStatus(one)} /> },
              { title: 'Created', cell: (one) => <When value={one.created_at} /> },
              { title: 'Expires', cell: (one) => <When value={one.expires_at} /> },
            ]}
            actions={(one) =>
              invitationStatus(one) === 'pending' && (
                <ConfirmButton
                  label="Revoke"
                  question="Revoke this link?"
                  confirmLabel="Yes, revoke"
                  onConfirm={() => revoke(one)}
                />
              )
            }
          />
        )}
      </LoadedList>
    </>
  );
}

/** Makes an invitation; its one-time link goes to `onInvited`. */
function InviteForm({ onInvited }: { onInvited: (link: string, invitation: Invitation) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const { problems, busy, save } = useSave();

  function invite(event: FormEvent) {
    event.preventDefault();
    void save({ body: { email: email.trim(), role } }, async (body) => {
      const created = await teamApi.invite(body.email, body.role);
      onInvited(joinLink(appBase(), created.token), created.invitation);
      setEmail('');
    });
  }

  return (
    <>
      <form className="team-form team-inline-form" onSubmit={invite}>
        <Field
          label="Email (optional)"
          problem={problems.email}
          hint="Only this address may use the link; empty = whoever has it."
        >
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="name@example.com" />
        </Field>
        <Field label="Role" hint={ROLE_HELP[role]}>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <Options items={ROLES} />
          </select>
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create invitation'}
        </button>
      </form>
      <StrayProblems problems={problems} known={['email']} />
    </>
  );
}

import { useState } from 'react';
import { api } from '../api';
import { appBase } from '../base';
import { ErrorMessage } from '../components';
import { useSession } from '../session';
import { teamApi, type Member } from '../teamApi';
import { canDo, ROLES } from '../teamLogic';
import type { Role } from '../types';
import { ConfirmButton } from '../ui/ConfirmButton';
import { Options } from '../ui/Field';
import { LoadedList } from '../ui/LoadedList';
import { RecordTable } from '../ui/RecordTable';
import { useAction } from '../ui/useAction';
import { useLoad } from '../ui/useLoad';
import { When } from '../ui/When';

export function MembersTab() {
  const { me, setMe } = useSession();
  const isAdmin = canDo(me.team.role, 'admin');
  const { state, update, reload } = useLoad((signal) => teamApi.members(signal));
  const action = useAction();
  const [changing, setChanging] = useState<number | null>(null);

  const changeRole = (member: Member, role: Role) =>
    action.run(async () => {
      setChanging(member.user_id);
      try {
        const changed = await teamApi.changeRole(member.user_id, role);
        update((members) => members.map((one) => (one.user_id === changed.user_id ? changed : one)));
        if (member.user_id === me.user.id) setMe(await api.me()); // your own role changed: the app's view too
      } catch (err) {
        reload(); // the select shows the role the server kept
        throw err;
      } finally {
        setChanging(null);
      }
    });

  const remove = (member: Member) =>
    action.run(async () => {
      await teamApi.removeMember(member.user_id);
      if (member.user_id === me.user.id) {
        window.location.assign(appBase()); // you left: this team is no longer yours
        return;
      }
      update((members) => members.filter((one) => one.user_id !== member.user_id));
    });

  const roleCell = (member: Member) =>
    isAdmin ? (
      <select
        aria-label={`Role of ${member.email}`}
        value={member.role}
        disabled={changing === member.user_id}
        onChange={(e) => void changeRole(member, e.target.value as Role)}
      >
        <Options items={ROLES} />
      </select>
    ) : (
      member.role
    );

  const actions = (member: Member) => {
    const self = member.user_id === me.user.id;
    if (!isAdmin && !self) return null;
    return (
      <ConfirmButton
        label={self ? 'Leave team' : 'Remove'}
        question={self ? `Leave ${me.team.name}?` : `Remove ${member.email}?`}
        confirmLabel={self ? 'Yes, leave' : 'Yes, remove'}
        onConfirm={() => remove(member)}
      />
    );
  };

  return (
    <LoadedList state={state} what="members">
      {(members) => (
        <>
          {action.error && <ErrorMessage message={action.error} />}
          <RecordTable
            rows={members}
            rowKey={(member) => member.user_id}
            columns={[
              {
                title: 'Name',
                cell: (member) => (
                  <>
                    {member.name || <span className="muted">(no name)</span>}
                    {member.user_id === me.user.id && <span className="team-badge">you</span>}
                  </>
                ),
              },
              { title: 'Email', cell: (member) => member.email },
              { title: 'Role', cell: roleCell },
              { title: 'Joined', cell: (member) => <When value={member.joined_at} /> },
            ]}
            actions={actions}
          />
          <p className="muted small-print">
            A team always keeps at least one admin. {isAdmin ? 'Invite people on the Invitations tab.' : ''}
          </p>
        </>
      )}
    </LoadedList>
  );
}

"""Users, teams, memberships and invitations.

The first user registers and becomes admin of the first team; after that registration is closed and
people join through invitations (single use, with an expiry). A team always keeps at least one admin.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from otelhouse.meta import passwords
from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.db import serialise
from otelhouse.meta.defaults import add_team_defaults
from otelhouse.meta.keys import DEFAULT_TEAM, add_key
from otelhouse.meta.models import Invitation, LoginFailure, Membership, Session, Team, User, utcnow
from otelhouse.meta.passwords import Passwords
from otelhouse.meta.roles import ROLES, Role
from otelhouse.meta.tokens import digest, new_token

# Deliberately loose: one @, something on each side, no spaces. Deliverability is not our business.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
MAX_NAME = 200
WRONG_LOGIN = "wrong email or password"


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    email: str
    name: str
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True, slots=True)
class TeamInfo:
    id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    email: str
    name: str
    role: Role
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationInfo:
    id: int
    team_id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account: int
    per_address: int
    window_seconds: int


def clean_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise BadRequest("give an email address like name@example.com", field="email")
    return email


def clean_name(name: str, what: str = "name") -> str:
    name = name.strip()
    if len(name) > MAX_NAME:
        raise BadRequest(f"a {what} has at most {MAX_NAME} characters", field=what)
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: use one of {', '.join(ROLES)}", field="role")
    return role  # type: ignore[return-value]


class Accounts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hasher: Passwords,
        *,
        clickhouse_database: str = "otel",
        limits: LoginLimits | None = None,
        box: SecretBox | None = None,
    ) -> None:
        self._box = box
        self._sessions = sessions
        self._hasher = hasher
        self._database = clickhouse_database
        self._limits = limits or LoginLimits(5, 20, 900)

    # --- registration and users -------------------------------------------------------------------

    async def registration_open(self) -> bool:
        async with self._sessions() as session:
            return await session.scalar(select(User.id).limit(1)) is None

    async def register_first(self, email: str, name: str, password: str) -> tuple[UserInfo, TeamInfo]:
        """The first user: admin of the first team. Refused once any user exists."""
        email, name = clean_email(email), clean_name(name)
        passwords.check(password, email=email, name=name)
        password_hash = await self._hasher.hash(password)
        async with self._sessions.begin() as session:
            await serialise(session, "registration")
            if await session.scalar(select(User.id).limit(1)) is not None:
                raise Forbidden("registration is closed: ask an admin of your team for an invitation link")
            team = await session.scalar(select(Team).order_by(Team.id).limit(1))
            if team is None:
                team = await self._new_team(session, DEFAULT_TEAM)
            user = await _add_user(session, email, name, password_hash)
            session.add(Membership(user_id=user.id, team_id=team.id, role="admin", created_at=utcnow()))
            return _user(user), TeamInfo(team.id, team.name, "admin")

    async def create_user(
        self, email: str, name: str, password: str, *, team: str | None = None, role: Role = "member"
    ) -> tuple[UserInfo, TeamInfo]:
        """An operator's way in (`otelhouse users create`): a user in `team` (the first team by default)."""
        email, name, role = clean_email(email), clean_name(name), check_role(role)
        passwords.check(password, email=email, name=name)
        password_hash = await self._hasher.hash(password)
        async with self._sessions.begin() as session:
            await serialise(session, "registration")
            first_user = await session.scalar(select(User.id).limit(1)) is None
            found = await _team_named(session, team) if team else await session.scalar(select(Team).order_by(Team.id))
            if found is None and team and await session.scalar(select(Team.id).limit(1)) is not None:
                names = ", ".join(await session.scalars(select(Team.name).order_by(Team.name)))
                raise NotFound(f"no team named {team!r}; existing teams: {names}")
            if found is None:
                found = await self._new_team(session, team or DEFAULT_TEAM)
            user = await _add_user(session, email, name, password_hash)
            role = "admin" if first_user else role
            session.add(Membership(user_id=user.id, team_id=found.id, role=role, created_at=utcnow()))
            return _user(user), TeamInfo(found.id, found.name, role)

    async def list_users(self) -> builtins.list[tuple[UserInfo, builtins.list[TeamInfo]]]:
        async with self._sessions() as session:
            users = list(await session.scalars(select(User).order_by(User.id)))
            rows = await session.execute(
                select(Membership.user_id, Team.id, Team.name, Membership.role)
                .join(Team, Team.id == Membership.team_id)
                .order_by(Team.name)
            )
            teams: dict[int, list[TeamInfo]] = {}
            for user_id, team_id, team_name, role in rows:
                teams.setdefault(user_id, []).append(TeamInfo(team_id, team_name, check_role(role)))
            return [(_user(user), teams.get(user.id, [])) for user in users]

    async def get_user(self, user_id: int) -> UserInfo:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound("no such user")
            return _user(user)

    async def update_profile(self, user_id: int, name: str) -> UserInfo:
        async with self._sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound("no such user")
            user.name = clean_name(name)
            return _user(user)

    async def reset_password(self, email: str, password: str) -> UserInfo:
        """Set a new password and end all of the user's sessions (`otelhouse users reset-password`)."""
        email = clean_email(email)
        async with self._sessions.begin() as session:
            user = await session.scalar(select(User).where(User.email == email))
            if user is None:
                raise NotFound(f"no user with email {email}")
            passwords.check(password, email=user.email, name=user.name)
            user.password_hash = await self._hasher.hash(password)
            await session.execute(delete(Session).where(Session.user_id == user.id))
            return _user(user)

    async def change_password(self, user_id: int, current: str, new: str, keep_session: str | None) -> None:
        """The user's own change: needs the current password; ends every other session of theirs."""
        async with self._sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None or not await self._hasher.verify(user.password_hash, current):
                raise BadRequest("the current password is wrong", field="current_password")
            passwords.check(new, email=user.email, name=user.name)
            user.password_hash = await self._hasher.hash(new)
            await session.execute(delete(Session).where(Session.user_id == user.id, Session.id != (keep_session or "")))

    # --- login --------------------------------------------------------------------------------------

    async def authenticate(self, email: str, password: str, address: str) -> tuple[UserInfo, TeamInfo]:
        """The user and their first team, or one answer for every failure: unknown user, wrong password
        and no team all say `WRONG_LOGIN`. Too many recent failures for the account or the address are
        refused before the password is even checked."""
        account = email.strip().lower()[:320]
        address = address[:64]
        await self._check_throttle(account, address)
        async with self._sessions() as session:
            user = await session.scalar(select(User).where(User.email == account))
        if not await self._hasher.verify(user.password_hash if user else None, password) or user is None:
            await self._record_failure(account, address)
            raise Unauthorized(WRONG_LOGIN)
        async with self._sessions.begin() as session:
            fresh = await session.get(User, user.id)
            assert fresh is not None
            if self._hasher.needs_rehash(fresh.password_hash):
                fresh.password_hash = await self._hasher.hash(password)
            fresh.last_login_at = utcnow()
            await session.execute(delete(LoginFailure).where(LoginFailure.account == account))
            teams = await _teams_of(session, fresh.id)
            if not teams:
                raise Unauthorized("your account is not a member of any team: ask an admin to invite you again")
            return _user(fresh), teams[0]

    async def _check_throttle(self, account: str, address: str) -> None:
        since = utcnow() - timedelta(seconds=self._limits.window_seconds)
        async with self._sessions() as session:
            for column, value, limit in (
                (LoginFailure.account, account, self._limits.per_account),
                (LoginFailure.address, address, self._limits.per_address),
            ):
                count, oldest = (
                    await session.execute(
                        select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
                    )
                ).one()
                if count >= limit:
                    oldest_at = _aware(oldest)
                    wait = int((oldest_at - since).total_seconds()) + 1
                    raise TooManyRequests(f"too many failed logins; try again in {wait} seconds", retry_after=wait)

    async def _record_failure(self, account: str, address: str) -> None:
        now = utcnow()
        async with self._sessions.begin() as session:
            session.add(LoginFailure(account=account, address=address, at=now))
            # Old rows are of no use: drop them as we go, so the table stays small.
            window = timedelta(seconds=self._limits.window_seconds)
            await session.execute(delete(LoginFailure).where(LoginFailure.at < now - window))

    # --- teams and members --------------------------------------------------------------------------

    async def teams_of(self, user_id: int) -> builtins.list[TeamInfo]:
        async with self._sessions() as session:
            return await _teams_of(session, user_id)

    async def first_team_id(self) -> int | None:
        """The installation's first team (made with the first account): it owns server-wide settings."""
        async with self._sessions() as session:
            first: int | None = await session.scalar(select(func.min(Team.id)))
            return first

    async def role_in(self, user_id: int, team_id: int) -> Role | None:
        async with self._sessions() as session:
            role = await session.scalar(
                select(Membership.role).where(Membership.user_id == user_id, Membership.team_id == team_id)
            )
            return role  # type: ignore[return-value]

    async def create_team(self, name: str, creator_id: int) -> TeamInfo:
        name = clean_name(name, "team name")
        if not name:
            raise BadRequest("give the team a name", field="name")
        try:
            async with self._sessions.begin() as session:
                team = await self._new_team(session, name)
                session.add(Membership(user_id=creator_id, team_id=team.id, role="admin", created_at=utcnow()))
                return TeamInfo(team.id, team.name, "admin")
        except IntegrityError:
            raise Conflict(f"a team named {name!r} exists already: choose another name") from None

    async def rename_team(self, team_id: int, name: str) -> TeamInfo:
        name = clean_name(name, "team name")
        if not name:
            raise BadRequest("give the team a name", field="name")
        try:
            async with self._sessions.begin() as session:
                team = await session.get(Team, team_id)
                if team is None:
                    raise NotFound("no such team")
                team.name = name
                return TeamInfo(team.id, team.name, "admin")
        except IntegrityError:
            raise Conflict(f"a team named {name!r} exists already: choose another name") from None

    async def members(self, team_id: int) -> builtins.list[Member]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(User, Membership)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.team_id == team_id)
                .order_by(User.email)
            )
            return [_member(user, membership) for user, membership in rows]

    async def set_role(self, team_id: int, user_id: int, role: str) -> Member:
        role = check_role(role)
        async with self._sessions.begin() as session:
            await serialise(session, f"team-admins-{team_id}")
            user, membership = await _membership(session, team_id, user_id)
            if membership.role == "admin" and role != "admin":
                await _keep_an_admin(session, team_id)
            membership.role = role
            return _member(user, membership)

    async def remove_member(self, team_id: int, user_id: int) -> None:
        async with self._sessions.begin() as session:
            await serialise(session, f"team-admins-{team_id}")
            _, membership = await _membership(session, team_id, user_id)
            if membership.role == "admin":
                await _keep_an_admin(session, team_id)
            await session.delete(membership)
            # Their logins into this team end now, not at the next expiry.
            await session.execute(delete(Session).where(Session.user_id == user_id, Session.team_id == team_id))

    async def _new_team(self, session: AsyncSession, name: str) -> Team:
        team = Team(name=name, created_at=utcnow())
        session.add(team)
        await session.flush()
        await add_team_defaults(session, team, self._database)
        await add_key(session, team, "default", self._box)
        return team

    # --- invitations --------------------------------------------------------------------------------

    async def invite(
        self, team_id: int, email: str, role: str, by_user: int, ttl_seconds: int
    ) -> tuple[InvitationInfo, str]:
        """A new invitation and its token (shown once; only its hash is kept)."""
        email = clean_email(email) if email.strip() else ""
        role = check_role(role)
        token = new_token("ohi_")
        now = utcnow()
        async with self._sessions.begin() as session:
            row = Invitation(
                team_id=team_id,
                email=email,
                role=role,
                token_hash=digest(token),
                created_by=by_user,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_seconds),
            )
            session.add(row)
            await session.flush()
            return _invitation(row), token

    async def invitations(self, team_id: int) -> builtins.list[InvitationInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Invitation).where(Invitation.team_id == team_id).order_by(Invitation.created_at.desc())
            )
            return [_invitation(row) for row in rows]

    async def revoke_invitation(self, team_id: int, invitation_id: int) -> InvitationInfo:
        async with self._sessions.begin() as session:
            row = await session.get(Invitation, invitation_id)
            if row is None or row.team_id != team_id:
                raise NotFound("no such invitation in this team")
            if row.revoked_at is None and row.used_at is None:
                row.revoked_at = utcnow()
            return _invitation(row)

    async def peek_invitation(self, token: str) -> tuple[InvitationInfo, str, str]:
        """The invitation behind a link, its team's name and the inviter's name ("" when gone), if it
        can still be used."""
        async with self._sessions() as session:
            row = await session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
            if row is None or not _usable(row):
                raise NotFound(_INVITATION_GONE)
            team = await session.get(Team, row.team_id)
            assert team is not None
            inviter = await session.get(User, row.created_by) if row.created_by is not None else None
            return _invitation(row), team.name, inviter.name if inviter is not None else ""

    async def accept_as_new_user(self, token: str, email: str, name: str, password: str) -> tuple[UserInfo, TeamInfo]:
        email, name = clean_email(email), clean_name(name)
        passwords.check(password, email=email, name=name)
        password_hash = await self._hasher.hash(password)
        try:
            async with self._sessions.begin() as session:
                invitation = await _claim(session, token)
                if invitation.email and invitation.email != email:
                    raise Forbidden("this invitation is for another email address")
                user = await _add_user(session, email, name, password_hash)
                invitation.used_by = user.id
                return _user(user), await _join(session, invitation, user.id)
        except IntegrityError:
            raise Conflict(
                "an account with this email exists already: log in, then open the invitation link again"
            ) from None

    async def accept_as_user(self, token: str, user_id: int) -> TeamInfo:
        async with self._sessions.begin() as session:
            invitation = await _claim(session, token)
            user = await session.get(User, user_id)
            assert user is not None
            if invitation.email and invitation.email != user.email:
                raise Forbidden("this invitation is for another email address")
            invitation.used_by = user_id
            existing = await session.get(Membership, (user_id, invitation.team_id))
            if existing is not None:
                raise Conflict("you are a member of this team already")
            return await _join(session, invitation, user_id)


_INVITATION_GONE = "this invitation link is not valid: it was used, revoked or has expired; ask for a new one"


def _usable(row: Invitation) -> bool:
    return row.used_at is None and row.revoked_at is None and _aware(row.expires_at) > utcnow()


async def _claim(session: AsyncSession, token: str) -> Invitation:
    """Mark the invitation used, atomically: of two requests with one token, only one gets it."""
    now = utcnow()
    result = await session.execute(
        update(Invitation)
        .where(
            Invitation.token_hash == digest(token),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(_INVITATION_GONE)
    row = await session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    assert row is not None
    return row


async def _join(session: AsyncSession, invitation: Invitation, user_id: int) -> TeamInfo:
    session.add(Membership(user_id=user_id, team_id=invitation.team_id, role=invitation.role, created_at=utcnow()))
    team = await session.get(Team, invitation.team_id)
    assert team is not None
    await session.flush()
    return TeamInfo(team.id, team.name, check_role(invitation.role))


async def _add_user(session: AsyncSession, email: str, name: str, password_hash: str) -> User:
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} exists already")
    user = User(email=email, name=name, password_hash=password_hash, created_at=utcnow())
    session.add(user)
    await session.flush()
    return user


async def _team_named(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def _teams_of(session: AsyncSession, user_id: int) -> builtins.list[TeamInfo]:
    rows = await session.execute(
        select(Team.id, Team.name, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Team.id)
    )
    return [TeamInfo(team_id, name, check_role(role)) for team_id, name, role in rows]


async def _membership(session: AsyncSession, team_id: int, user_id: int) -> tuple[User, Membership]:
    found = (
        await session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, Membership.user_id == user_id)
        )
    ).first()
    if found is None:
        raise NotFound("no such member in this team")
    return found[0], found[1]


async def _keep_an_admin(session: AsyncSession, team_id: int) -> None:
    admins = await session.scalar(select(func.count()).where(Membership.team_id == team_id, Membership.role == "admin"))
    if (admins or 0) <= 1:
        raise Conflict("a team needs at least one admin: make someone else admin first")


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _user(row: User) -> UserInfo:
    return UserInfo(row.id, row.email, row.name, row.created_at, row.last_login_at)


def _member(user: User, membership: Membership) -> Member:
    return Member(user.id, user.email, user.name, check_role(membership.role), membership.created_at)


def _invitation(row: Invitation) -> InvitationInfo:
    return InvitationInfo(
        row.id,
        row.team_id,
        row.email,
        check_role(row.role),
        row.created_at,
        row.expires_at,
        row.used_at,
        row.revoked_at,
    )

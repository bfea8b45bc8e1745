"""Webhooks of a team: where alerts send their notifications (an HTTP endpoint, Slack, or email).

Header values often hold tokens, so they are write-only: kept encrypted (as one JSON object), and
only their names are shown. The method and body template of a generic webhook live in the
`definition` JSON column, beside the header names; so do the recipients of an email channel (whose
`url` is empty: the SMTP server is the operator's, set in the environment).
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from otelhouse.errors import BadRequest, Conflict
from otelhouse.meta.crypto import CannotDecrypt, SecretBox
from otelhouse.meta.models import Alert, Webhook, utcnow
from otelhouse.meta.scoped import team_row

HEADERS_PURPOSE = "webhook-headers"
NO_WEBHOOK = "no such webhook in this team"

WebhookKind = Literal["generic", "slack", "email"]
WebhookMethod = Literal["POST", "PUT", "PATCH"]


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    """A webhook as anyone in the team may see it: header names, never their values."""

    id: int
    name: str
    kind: WebhookKind
    url: str
    method: WebhookMethod | None
    header_names: list[str]
    body_template: str | None
    created_at: datetime
    updated_at: datetime
    recipients: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WebhookValues:
    """What a webhook is made of, validated. `headers` None = keep the stored ones (updates)."""

    name: str
    kind: WebhookKind
    url: str
    method: WebhookMethod | None
    body_template: str | None
    headers: dict[str, str] | None
    recipients: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """Everything needed to send to a webhook, header values decrypted (for the alert notifier)."""

    kind: WebhookKind
    url: str
    method: WebhookMethod
    headers: dict[str, str]
    body_template: str | None
    recipients: list[str] = field(default_factory=list)
    name: str = ""


class Webhooks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self._sessions = sessions
        self._box = box

    async def list(self, team_id: int) -> builtins.list[WebhookInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Webhook).where(Webhook.team_id == team_id).order_by(Webhook.id))
            return [_info(row) for row in rows]

    async def get(self, team_id: int, webhook_id: int) -> WebhookInfo:
        async with self._sessions() as session:
            return _info(await _own(session, team_id, webhook_id))

    async def create(self, team_id: int, values: WebhookValues) -> WebhookInfo:
        now = utcnow()
        row = Webhook(team_id=team_id, created_at=now, updated_at=now)
        self._fill(row, values)
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return _info(row)

    async def update(self, team_id: int, webhook_id: int, values: WebhookValues) -> WebhookInfo:
        async with self._sessions.begin() as session:
            row = await _own(session, team_id, webhook_id, lock=True)
            self._fill(row, values)
            row.updated_at = utcnow()
            return _info(row)

    async def delete(self, team_id: int, webhook_id: int) -> None:
        async with self._sessions.begin() as session:
            row = await _own(session, team_id, webhook_id, lock=True)
            alerts = [
                name
                for name, definition in await session.execute(
                    select(Alert.name, Alert.definition).where(Alert.team_id == team_id).order_by(Alert.id)
                )
                if row.id in channel_ids(definition)
            ]
            if alerts:
                shown = ", ".join(repr(name) for name in alerts[:10])
                raise Conflict(
                    f"alerts notify this webhook: {shown}; remove it from their channels or delete them first"
                )
            await session.delete(row)

    async def delivery(self, team_id: int, webhook_id: int) -> WebhookDelivery:
        async with self._sessions() as session:
            row = await _own(session, team_id, webhook_id)
        info = _info(row)
        return WebhookDelivery(
            info.kind,
            info.url,
            info.method or "POST",
            self._headers(row),
            info.body_template,
            info.recipients,
            info.name,
        )

    def _headers(self, row: Webhook) -> dict[str, str]:
        if not row.headers_enc:
            return {}
        try:
            headers = json.loads(self._box.decrypt(row.headers_enc, HEADERS_PURPOSE))
        except CannotDecrypt:
            raise BadRequest(
                f"the stored headers of webhook {row.name!r} cannot be read: the server's session secret changed "
                "since they were saved; enter them again",
                field="headers",
            ) from None
        return {str(name): str(value) for name, value in headers.items()}

    def _fill(self, row: Webhook, values: WebhookValues) -> None:
        row.name = values.name
        row.kind = values.kind
        row.url = values.url
        definition: dict[str, Any] = {"header_names": list((row.definition or {}).get("header_names", []))}
        if values.headers is not None:
            definition["header_names"] = sorted(values.headers)
            sealed = json.dumps(values.headers, sort_keys=True)
            row.headers_enc = self._box.encrypt(sealed, HEADERS_PURPOSE) if values.headers else None
        if values.method is not None:
            definition["method"] = values.method
        if values.body_template is not None:
            definition["body_template"] = values.body_template
        if values.recipients:
            definition["recipients"] = list(values.recipients)
        row.definition = definition


def channel_ids(definition: object) -> set[int]:
    """The webhook ids an alert's definition notifies (`channels`: ids, or objects with `webhook_id`)."""
    if not isinstance(definition, dict):
        return set()
    found: set[int] = set()
    for channel in definition.get("channels") or []:
        value = channel.get("webhook_id", channel.get("id")) if isinstance(channel, dict) else channel
        if isinstance(value, int) and not isinstance(value, bool):
            found.add(value)
        elif isinstance(value, str) and value.strip().isdigit():
            found.add(int(value))
    return found


async def _own(session: AsyncSession, team_id: int, webhook_id: int, *, lock: bool = False) -> Webhook:
    return await team_row(session, Webhook, team_id, webhook_id, NO_WEBHOOK, lock=lock)


def _info(row: Webhook) -> WebhookInfo:
    definition = row.definition or {}
    method = definition.get("method")
    body_template = definition.get("body_template")
    return WebhookInfo(
        id=row.id,
        name=row.name,
        kind=cast(WebhookKind, row.kind),
        url=row.url,
        method=cast(WebhookMethod, method) if method else None,
        header_names=[str(name) for name in definition.get("header_names", [])],
        body_template=str(body_template) if body_template is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        recipients=[str(address) for address in definition.get("recipients") or []],
    )

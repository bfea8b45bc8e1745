"""Response and request shapes shared by several routers (each router keeps its own otherwise)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from otelhouse.meta.roles import Role


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class TeamOut(Model):
    id: int
    name: str
    role: Role


class UserOut(Model):
    id: int
    email: str
    name: str
    created_at: datetime
    last_login_at: datetime | None


class MeOut(Model):
    user: UserOut
    team: TeamOut
    teams: list[TeamOut]
    via: str = Field(description="How this request was authenticated: session or api_key.")


class Deleted(Model):
    deleted: bool = True

"""Roles in a team, weakest first. Each role can do what the ones before it can."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "member", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


def at_least(role: str, needed: Role) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)  # type: ignore[arg-type]

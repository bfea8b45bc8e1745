"""Finding one row of a team's object by id: the check every team-scoped repository makes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otelhouse.errors import NotFound

MAX_ID = 2**31 - 1  # INTEGER columns: a larger id cannot exist (and PostgreSQL would raise on it)


Row = TypeVar("Row", bound=Any)


async def team_row(
    session: AsyncSession, model: type[Row], team_id: int, row_id: int, missing: str, *, lock: bool = False
) -> Row:
    """The row `row_id` of `model` if it belongs to `team_id`; otherwise `NotFound(missing)`.

    Another team's row answers exactly like a row that does not exist, so ids reveal nothing.
    """
    if not 0 < row_id <= MAX_ID:
        raise NotFound(missing)
    query = select(model).where(model.id == row_id, model.team_id == team_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(missing)
    return row  # type: ignore[no-any-return]

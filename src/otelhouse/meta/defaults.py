"""What every team starts with: the server's own ClickHouse as a connection, and one source per
otelhouse table with the column expressions ClickStack's UI uses for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from otelhouse.meta.models import Connection, Source, Team, utcnow

DEFAULT_CONNECTION = "Default ClickHouse"

_LOG_COLUMNS: dict[str, Any] = {
    "timestamp": "TimestampTime",
    "displayed_timestamp": "Timestamp",
    "default_select": "Timestamp, ServiceName, SeverityText, Body",
    "implicit_column": "Body",
    "body": "Body",
    "severity": "SeverityText",
    "service": "ServiceName",
    "trace_id": "TraceId",
    "span_id": "SpanId",
    "event_attributes": "LogAttributes",
    "resource_attributes": "ResourceAttributes",
}
_TRACE_COLUMNS: dict[str, Any] = {
    "timestamp": "Timestamp",
    "default_select": "Timestamp, ServiceName, StatusCode, round(Duration / 1e6), SpanName",
    "implicit_column": "SpanName",
    "body": "SpanName",
    "span_name": "SpanName",
    "span_kind": "SpanKind",
    "severity": "StatusCode",
    "status_code": "StatusCode",
    "status_message": "StatusMessage",
    "service": "ServiceName",
    "trace_id": "TraceId",
    "span_id": "SpanId",
    "parent_span_id": "ParentSpanId",
    "duration": "Duration",
    "duration_precision": 9,
    "event_attributes": "SpanAttributes",
    "resource_attributes": "ResourceAttributes",
    "span_events": "Events",
    "links": "Links",
}
_METRIC_COLUMNS: dict[str, Any] = {
    "timestamp": "TimeUnix",
    "service": "ServiceName",
    "resource_attributes": "ResourceAttributes",
    "metric_tables": {
        "gauge": "otel_metrics_gauge",
        "sum": "otel_metrics_sum",
        "histogram": "otel_metrics_histogram",
        "exponential_histogram": "otel_metrics_exponential_histogram",
        "summary": "otel_metrics_summary",
    },
}
_SESSION_COLUMNS: dict[str, Any] = {**_LOG_COLUMNS, "default_select": "Timestamp, ServiceName, Body"}

# (name, kind, table, columns)
DEFAULT_SOURCES: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("Logs", "log", "otel_logs", _LOG_COLUMNS),
    ("Traces", "trace", "otel_traces", _TRACE_COLUMNS),
    ("Metrics", "metric", "otel_metrics_gauge", _METRIC_COLUMNS),
    ("Sessions", "session", "hyperdx_sessions", _SESSION_COLUMNS),
)


async def add_team_defaults(session: AsyncSession, team: Team, database: str) -> None:
    """The default connection and sources for `team`, unless it has a connection already."""
    if await session.scalar(select(Connection.id).where(Connection.team_id == team.id).limit(1)) is not None:
        return
    now = utcnow()
    connection = Connection(
        team_id=team.id, name=DEFAULT_CONNECTION, url="", username="", created_at=now, updated_at=now
    )
    session.add(connection)
    await session.flush()
    for name, kind, table, columns in DEFAULT_SOURCES:
        session.add(
            Source(
                team_id=team.id,
                connection_id=connection.id,
                name=name,
                kind=kind,
                database=database,
                table=table,
                columns=dict(columns),
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()


async def add_missing_defaults(session: AsyncSession, database: str) -> None:
    """Teams made before sources existed get theirs (an upgrade from an older release)."""
    for team in await session.scalars(select(Team)):
        await add_team_defaults(session, team, database)

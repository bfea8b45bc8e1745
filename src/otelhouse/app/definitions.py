"""The validated shapes of saved searches, dashboards and alerts, as the API takes and gives them.

Each definition checks itself completely (bounds, required-together fields), so a stored one is always
valid. Checks that need the database (does this source belong to the team?) are the repositories'
job: each definition lists the objects it points at in `refs()`.

Cross-field checks sit on the later field of the pair (a field validator sees the fields declared
before it), so a problem is reported under the name of the field to fix.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from otelhouse.app.schemas import Model
from otelhouse.meta.objects import Refs
from otelhouse.meta.scoped import MAX_ID

# --- building blocks ---------------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    # PostgreSQL refuses NUL in text, and lone surrogates cannot be stored as UTF-8 anywhere.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    # Required text is stripped (so "  " is not a name); free text such as a query is kept as typed.
    return StringConstraints(strip_whitespace=min_length > 0, min_length=min_length, max_length=max_length)


_CLEAN = AfterValidator(_clean_text)
Name = Annotated[str, _text(200, 1), _CLEAN, Field(description="1 to 200 characters.")]
Query = Annotated[str, _text(10_000), _CLEAN, Field(description="A search query, at most 10,000 characters.")]
Expression = Annotated[
    str, _text(1_000, 1), _CLEAN, Field(description="A column or SQL expression (1 to 1,000 characters).")
]
SelectList = Annotated[str, _text(4_000, 1), _CLEAN]
OrderBy = Annotated[str, _text(1_000, 1), _CLEAN]
Title = Annotated[str, _text(200), _CLEAN]
FilterValue = Annotated[str, _text(1_000), _CLEAN]
Tag = Annotated[str, _text(64, 1), _CLEAN]
Markdown = Annotated[str, _text(20_000), _CLEAN]
TileId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Made by the client; unique within the dashboard (letters, digits, _ . : -).",
    ),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Language = Literal["lucene", "sql"]
T = TypeVar("T")

_DURATION = re.compile(r"([1-9][0-9]{0,5})([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def _duration_checker(low: int, high: int, units: str, *, allowed: tuple[str, ...] = ()) -> AfterValidator:
    """A duration such as 15m, 1h or 7d, between `low` and `high` seconds, in one of `units`."""

    def check(value: str) -> str:
        if value in allowed:
            return value
        match = _DURATION.fullmatch(value)
        if match is None or match.group(2) not in units:
            words = " or ".join(repr(word) for word in allowed)
            prefix = f"{words} or " if allowed else ""
            raise ValueError(f"use {prefix}a number followed by one of {', '.join(units)}, like 15m, 1h or 7d")
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if not low <= seconds <= high:
            raise ValueError(f"must be between {_words(low)} and {_words(high)}")
        return value

    return AfterValidator(check)


def _words(seconds: int) -> str:
    for unit in "wdhm":
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


RelativeRange = Annotated[
    str,
    Field(max_length=16, description="How far back to look by default, like 15m, 1h, 24h or 7d (1m to 400d)."),
    _duration_checker(60, 400 * 86_400, "mhdw"),
]
Refresh = Annotated[
    str,
    Field(max_length=16, description="`off`, or how often to reload, like 30s or 5m (10s to 1d)."),
    _duration_checker(10, 86_400, "smhd", allowed=("off",)),
]
Granularity = Annotated[
    str,
    Field(max_length=16, description="`auto`, or the width of one time bucket, like 1m or 1h (1s to 30d)."),
    _duration_checker(1, 30 * 86_400, "smhdw", allowed=("auto",)),
]


def _unique(values: list[T]) -> list[T]:
    return list(dict.fromkeys(values))


M = TypeVar("M", bound=BaseModel)


def patched(model: type[M], current: dict[str, Any], patch: BaseModel) -> M:
    """`current` with the fields `patch` was given, validated as a whole: answers 422 like a bad body."""
    data = {**current, **patch.model_dump(mode="json", exclude_unset=True)}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors]) from None


# --- saved searches ----------------------------------------------------------------------------------


class Filter(Model):
    field: Expression
    operator: Literal["include", "exclude"]
    values: Annotated[list[FilterValue], Field(min_length=1, max_length=100)]


class SavedSearchIn(Model):
    name: Name
    source_id: Id
    query: Query = ""
    language: Language = "lucene"
    select: SelectList | None = Field(
        None, description="The columns to show, e.g. `Timestamp, ServiceName, Body`; none = the source's default."
    )
    order_by: OrderBy | None = Field(None, description="e.g. `Timestamp DESC`.")
    filters: Annotated[list[Filter], Field(max_length=50)] = Field(default_factory=list)
    time_range: RelativeRange | None = None

    def refs(self) -> Refs:
        return Refs(sources=(("source_id", self.source_id),))

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"name", "source_id"})


class SavedSearchPatch(Model):
    """Only the fields given change."""

    name: Name | None = None
    source_id: Id | None = None
    query: Query | None = None
    language: Language | None = None
    select: SelectList | None = None
    order_by: OrderBy | None = None
    filters: Annotated[list[Filter], Field(max_length=50)] | None = None
    time_range: RelativeRange | None = None


# --- dashboards --------------------------------------------------------------------------------------

Aggregation = Literal[
    "count", "count_distinct", "sum", "avg", "min", "max", "p50", "p90", "p95", "p99", "last_value", "rate", "increase"
]
Display = Literal["line", "bar", "number", "table", "markdown"]
GRID_COLUMNS = 24
MAX_TILES = 100


MetricKind = Literal["gauge", "sum", "histogram", "exponential_histogram"]
_GAUGE_AGGREGATIONS = ("avg", "min", "max", "last_value", "sum", "count")
_HISTOGRAM_AGGREGATIONS = ("p50", "p90", "p95", "p99", "count", "avg", "rate")
METRIC_AGGREGATIONS: dict[str, tuple[str, ...]] = {
    "gauge": _GAUGE_AGGREGATIONS,
    "sum": ("rate", "increase", *_GAUGE_AGGREGATIONS),
    "histogram": _HISTOGRAM_AGGREGATIONS,
    "exponential_histogram": _HISTOGRAM_AGGREGATIONS,
}


class Series(Model):
    """A series over a log, trace or session source; or, with `metric_kind`, over a metric source:
    then `field` names the metric, `where` holds `key:value` attribute filters (all must match, a
    value with spaces in double quotes) and `aggregation` is one the kind takes."""

    aggregation: Aggregation
    field: Expression | None = Field(None, validate_default=True, description="What to aggregate; not for count.")
    where: Query = ""
    where_language: Language = "lucene"
    metric_kind: MetricKind | None = Field(
        None, description="The kind of the metric named by `field`; only for a series over a metric source."
    )

    @field_validator("field")
    @classmethod
    def _field_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        aggregation = info.data.get("aggregation")
        if value is None and aggregation not in (None, "count"):
            raise ValueError(f"{aggregation} needs a field to aggregate (only count works without one)")
        return value

    @field_validator("metric_kind")
    @classmethod
    def _metric_series(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        # (A field that failed its own check is absent from info.data: that error is enough.)
        if "field" in info.data and info.data["field"] is None:
            raise ValueError("a metric series needs the metric's name in field")
        aggregation = info.data.get("aggregation")
        allowed = METRIC_AGGREGATIONS[value]
        if aggregation is not None and aggregation not in allowed:
            raise ValueError(f"a {value} metric takes the aggregations {', '.join(allowed)}, not {aggregation}")
        return value

    # A series without a metric is written as before metric series existed. No return type on purpose:
    # with one, pydantic would describe the output as any object instead of this model.
    @model_serializer(mode="wrap")
    def _old_shape(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        if self.metric_kind is None:
            data.pop("metric_kind", None)
        return data


class Chart(Model):
    display: Display
    source_id: Id | None = Field(None, validate_default=True, description="Required unless display is markdown.")
    series: Annotated[list[Series], Field(max_length=10, validate_default=True)] = Field(default_factory=list)
    group_by: Annotated[list[Expression], Field(max_length=5)] = Field(default_factory=list)
    granularity: Granularity = "auto"
    markdown: Markdown | None = Field(
        None, validate_default=True, description="The text of a markdown tile (and only of one)."
    )

    @field_validator("source_id")
    @classmethod
    def _source_needed(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("display") not in (None, "markdown"):
            raise ValueError(f"a {info.data['display']} chart needs the source_id of the data to chart")
        return value

    @field_validator("series")
    @classmethod
    def _series_needed(cls, value: list[Series], info: ValidationInfo) -> list[Series]:
        if not value and info.data.get("display") not in (None, "markdown"):
            raise ValueError(f"a {info.data['display']} chart needs 1 to 10 series")
        if len({series.metric_kind is None for series in value}) > 1:
            raise ValueError("a chart's series are all metric series (with metric_kind) or none is")
        return value

    @field_validator("markdown")
    @classmethod
    def _markdown_only_for_markdown(cls, value: str | None, info: ValidationInfo) -> str | None:
        display = info.data.get("display")
        if display == "markdown" and value is None:
            raise ValueError("a markdown tile needs its markdown text")
        if display not in (None, "markdown") and value is not None:
            raise ValueError(f"only markdown tiles have markdown text; this one is a {display} chart")
        return value


class Tile(Model):
    id: TileId
    x: Annotated[int, Field(ge=0, le=GRID_COLUMNS - 1)]
    y: Annotated[int, Field(ge=0, le=10_000)]
    w: Annotated[int, Field(ge=1, le=GRID_COLUMNS)]
    h: Annotated[int, Field(ge=1, le=50)]
    title: Title = ""
    chart: Chart

    @field_validator("w")
    @classmethod
    def _inside_grid(cls, value: int, info: ValidationInfo) -> int:
        x = info.data.get("x")
        if x is not None and x + value > GRID_COLUMNS:
            raise ValueError(f"x + w must be at most {GRID_COLUMNS} (the grid has {GRID_COLUMNS} columns)")
        return value


Tiles = Annotated[list[Tile], Field(max_length=MAX_TILES)]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique)]


def _check_tile_ids(tiles: list[Tile]) -> list[Tile]:
    seen: set[str] = set()
    for tile in tiles:
        if tile.id in seen:
            raise ValueError(f"tile id {tile.id!r} is used twice: each tile needs its own id")
        seen.add(tile.id)
    return tiles


class DashboardIn(Model):
    name: Name
    tags: Tags = Field(default_factory=list)
    time_range: RelativeRange | None = None
    refresh: Refresh = "off"
    tiles: Annotated[Tiles, AfterValidator(_check_tile_ids)] = Field(default_factory=list)

    def refs(self) -> Refs:
        sources = tuple(
            (f"tiles.{index}.chart.source_id", tile.chart.source_id)
            for index, tile in enumerate(self.tiles)
            if tile.chart.source_id is not None
        )
        return Refs(sources=sources)

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"name"})


class DashboardPatch(Model):
    """Only the fields given change (tiles are replaced as a whole)."""

    name: Name | None = None
    tags: Tags | None = None
    time_range: RelativeRange | None = None
    refresh: Refresh | None = None
    tiles: Annotated[Tiles, AfterValidator(_check_tile_ids)] | None = None


# --- alerts ------------------------------------------------------------------------------------------

Interval = Literal["1m", "5m", "15m", "30m", "1h", "6h", "12h", "1d"]
ThresholdType = Literal["above", "below", "equal", "outside_range", "inside_range"]
_THRESHOLD_TYPES: dict[str, tuple[str, ...]] = {
    "search": ("above", "below", "equal"),
    "chart": ("above", "below", "outside_range", "inside_range"),
}
_RANGES = ("outside_range", "inside_range")
MAX_MESSAGE_BYTES = 10_240


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("give a time between the years 1 and 9999 in UTC") from None


UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def _message_size(value: str) -> str:
    if len(value.encode()) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message template has at most {MAX_MESSAGE_BYTES} bytes")
    return value


class Range(Model):
    low: Number
    high: Number

    @field_validator("high")
    @classmethod
    def _ordered(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and low > value:
            raise ValueError("high must not be below low")
        return value


class AlertIn(Model):
    """A search alert counts the matches of a saved search (or of a source and query); a chart alert
    watches a dashboard tile's series (or one given here). Either fires after `windows` consecutive
    windows of `interval` that cross the threshold."""

    name: Name
    enabled: bool = True
    kind: Literal["search", "chart"]
    saved_search_id: Id | None = Field(None, validate_default=True, description="Search alerts.")
    dashboard_id: Id | None = Field(None, validate_default=True, description="Chart alerts on a dashboard tile.")
    tile_id: TileId | None = Field(None, validate_default=True)
    source_id: Id | None = Field(
        None, validate_default=True, description="Search alerts without a saved search; chart alerts with `series`."
    )
    query: Query | None = Field(None, validate_default=True, description="Search alerts without a saved search.")
    language: Language = "lucene"
    series: Series | None = Field(None, validate_default=True, description="Chart alerts without a dashboard tile.")
    threshold_type: ThresholdType
    threshold: Number | None = Field(None, validate_default=True, description="For above, below and equal.")
    range: Range | None = Field(None, validate_default=True, description="For outside_range and inside_range.")
    interval: Interval = "5m"
    group_by: Annotated[list[Expression], Field(max_length=3)] = Field(default_factory=list)
    windows: Annotated[int, Field(ge=1, le=100, description="Consecutive windows that must cross the threshold.")] = 1
    channels: Annotated[list[Id], Field(max_length=20, description="Webhook ids."), AfterValidator(_unique)] = Field(
        default_factory=list
    )
    message: Annotated[str, _text(MAX_MESSAGE_BYTES), _CLEAN, AfterValidator(_message_size)] | None = None
    silenced_until: UtcTime | None = None

    @field_validator("saved_search_id")
    @classmethod
    def _search_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("kind") == "chart":
            raise ValueError("only search alerts use a saved search")
        return value

    @field_validator("dashboard_id")
    @classmethod
    def _chart_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("kind") == "search":
            raise ValueError("only chart alerts watch a dashboard tile")
        return value

    @field_validator("tile_id")
    @classmethod
    def _tile_with_dashboard(cls, value: str | None, info: ValidationInfo) -> str | None:
        dashboard = info.data.get("dashboard_id")
        if dashboard is not None and value is None:
            raise ValueError("give the id of the dashboard tile to watch")
        if value is not None and dashboard is None:
            raise ValueError("a tile_id needs the dashboard_id it belongs to")
        return value

    @field_validator("source_id")
    @classmethod
    def _one_target(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "search":
            saved = info.data.get("saved_search_id")
            if saved is not None and value is not None:
                raise ValueError("give a saved_search_id or a source_id with a query, not both")
            if saved is None and value is None:
                raise ValueError("give a saved_search_id, or the source_id (and query) to search")
        elif kind == "chart":
            dashboard = info.data.get("dashboard_id")
            if dashboard is not None and value is not None:
                raise ValueError("a chart alert on a dashboard tile uses the tile's source: leave source_id out")
            if dashboard is None and value is None:
                raise ValueError("give a dashboard_id and tile_id, or the source_id and series to chart")
        return value

    @field_validator("query")
    @classmethod
    def _inline_query(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("kind") == "chart":
            raise ValueError("chart alerts filter with series.where, not query")
        if info.data.get("saved_search_id") is not None:
            raise ValueError("the saved search gives the query: leave query out")
        return value

    @field_validator("series")
    @classmethod
    def _inline_series(cls, value: Series | None, info: ValidationInfo) -> Series | None:
        kind = info.data.get("kind")
        if kind == "search" and value is not None:
            raise ValueError("only chart alerts have a series")
        if kind == "chart":
            dashboard = info.data.get("dashboard_id")
            if dashboard is not None and value is not None:
                raise ValueError("a chart alert on a dashboard tile uses the tile's series: leave series out")
            if dashboard is None and value is None:
                raise ValueError("give the series to chart (or a dashboard_id and tile_id)")
        return value

    @field_validator("threshold_type")
    @classmethod
    def _threshold_type_for_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind in _THRESHOLD_TYPES and value not in _THRESHOLD_TYPES[kind]:
            raise ValueError(f"a {kind} alert takes one of: {', '.join(_THRESHOLD_TYPES[kind])}")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold_for_type(cls, value: float | None, info: ValidationInfo) -> float | None:
        threshold_type = info.data.get("threshold_type")
        if threshold_type is None:
            return value
        if threshold_type in _RANGES and value is not None:
            raise ValueError(f"{threshold_type} uses range {{low, high}}, not threshold")
        if threshold_type not in _RANGES and value is None:
            raise ValueError(f"give the threshold to be {threshold_type}")
        return value

    @field_validator("range")
    @classmethod
    def _range_for_type(cls, value: Range | None, info: ValidationInfo) -> Range | None:
        threshold_type = info.data.get("threshold_type")
        if threshold_type in _RANGES and value is None:
            raise ValueError(f"{threshold_type} needs range {{low, high}}")
        if threshold_type is not None and threshold_type not in _RANGES and value is not None:
            raise ValueError(f"{threshold_type} uses threshold, not range")
        return value

    def refs(self) -> Refs:
        return Refs(
            sources=(("source_id", self.source_id),) if self.source_id is not None else (),
            webhooks=tuple((f"channels.{index}", webhook) for index, webhook in enumerate(self.channels)),
            saved_search=self.saved_search_id,
            dashboard_tile=(self.dashboard_id, self.tile_id) if self.dashboard_id and self.tile_id else None,
        )

    def definition(self) -> dict[str, Any]:
        # Search alerts with their own query keep "" rather than None: the evaluator gets a string.
        definition = self.model_dump(mode="json", exclude={"name", "enabled"})
        if self.kind == "search" and self.saved_search_id is None and self.query is None:
            definition["query"] = ""
        return definition


class AlertPatch(Model):
    """Only the fields given change; give null to clear an optional one (e.g. saved_search_id when
    switching to source_id and query)."""

    name: Name | None = None
    enabled: bool | None = None
    kind: Literal["search", "chart"] | None = None
    saved_search_id: Id | None = None
    dashboard_id: Id | None = None
    tile_id: TileId | None = None
    source_id: Id | None = None
    query: Query | None = None
    language: Language | None = None
    series: Series | None = None
    threshold_type: ThresholdType | None = None
    threshold: Number | None = None
    range: Range | None = None
    interval: Interval | None = None
    group_by: Annotated[list[Expression], Field(max_length=3)] | None = None
    windows: Annotated[int, Field(ge=1, le=100)] | None = None
    channels: Annotated[list[Id], Field(max_length=20), AfterValidator(_unique)] | None = None
    message: Annotated[str, _text(MAX_MESSAGE_BYTES), _CLEAN, AfterValidator(_message_size)] | None = None
    silenced_until: UtcTime | None = None


class Silence(Model):
    until: UtcTime = Field(description="When notifications start again (with a time zone).")

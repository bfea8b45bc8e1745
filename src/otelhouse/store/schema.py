"""The ClickHouse tables, one definition per table.

Column names and types follow the OpenTelemetry collector's ClickHouse exporter, which is
what ClickStack stores, so queries and dashboards written for ClickStack work unchanged.
The same column list drives the DDL and the Arrow schema of every insert, so the two can
never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

ATTRS = "Map(LowCardinality(String), String)"
TIME = "DateTime64(9)"
ZSTD = "CODEC(ZSTD(1))"
TIME_CODEC = "CODEC(Delta(8), ZSTD(1))"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    codec: str = ZSTD
    default: str = ""  # a DEFAULT expression: the column is computed, never sent

    def ddl(self) -> str:
        parts = [f"`{self.name}`", self.type]
        if self.default:
            parts.append(f"DEFAULT {self.default}")
        if self.codec:
            parts.append(self.codec)
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    signal: str  # logs | traces | metrics | sessions: which TTL setting applies
    columns: tuple[Column, ...]
    indexes: tuple[str, ...]
    partition_by: str
    order_by: str
    ttl_column: str
    primary_key: str = ""

    @property
    def insert_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.default)

    def ttl_expression(self, seconds: int) -> str:
        return f"{self.ttl_column} + toIntervalSecond({int(seconds)})"

    def create_sql(self, database: str, ttl_seconds: int) -> str:
        body = ",\n    ".join([c.ddl() for c in self.columns] + [f"INDEX {i}" for i in self.indexes])
        primary = f"PRIMARY KEY {self.primary_key}\n" if self.primary_key else ""
        return (
            f"CREATE TABLE IF NOT EXISTS `{database}`.`{self.name}`\n(\n    {body}\n)\n"
            f"ENGINE = MergeTree\nPARTITION BY {self.partition_by}\n{primary}"
            f"ORDER BY {self.order_by}\nTTL {self.ttl_expression(ttl_seconds)}\n"
            "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"
        )


def _bloom(name: str, expr: str, rate: str = "0.01") -> str:
    return f"{name} {expr} TYPE bloom_filter({rate}) GRANULARITY 1"


def _map_indexes(prefix: str, column: str) -> tuple[str, ...]:
    return (
        _bloom(f"idx_{prefix}_key", f"mapKeys({column})"),
        _bloom(f"idx_{prefix}_value", f"mapValues({column})"),
    )


# --- logs (also the shape of hyperdx_sessions, as in ClickStack) ---------------------------

_LOG_COLUMNS = (
    Column("Timestamp", TIME, TIME_CODEC),
    Column("TimestampTime", "DateTime", "", default="toDateTime(Timestamp)"),
    Column("TraceId", "String"),
    Column("SpanId", "String"),
    Column("TraceFlags", "UInt8", ""),
    Column("SeverityText", "LowCardinality(String)"),
    Column("SeverityNumber", "UInt8", ""),
    Column("ServiceName", "LowCardinality(String)"),
    Column("Body", "String"),
    Column("ResourceSchemaUrl", "LowCardinality(String)"),
    Column("ResourceAttributes", ATTRS),
    Column("ScopeSchemaUrl", "LowCardinality(String)"),
    Column("ScopeName", "String"),
    Column("ScopeVersion", "LowCardinality(String)"),
    Column("ScopeAttributes", ATTRS),
    Column("LogAttributes", ATTRS),
    Column("EventName", "String"),
)

_LOG_INDEXES = (
    _bloom("idx_trace_id", "TraceId", "0.001"),
    *_map_indexes("res_attr", "ResourceAttributes"),
    *_map_indexes("scope_attr", "ScopeAttributes"),
    *_map_indexes("log_attr", "LogAttributes"),
    "idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8",
)


def _log_like(name: str, signal: str) -> Table:
    return Table(
        name=name,
        signal=signal,
        columns=_LOG_COLUMNS,
        indexes=_LOG_INDEXES,
        partition_by="toDate(TimestampTime)",
        primary_key="(ServiceName, TimestampTime)",
        order_by="(ServiceName, TimestampTime, Timestamp)",
        ttl_column="TimestampTime",
    )


LOGS = _log_like("otel_logs", "logs")
SESSIONS = _log_like("hyperdx_sessions", "sessions")

# --- traces ----------------------------------------------------------------------------------

TRACES = Table(
    name="otel_traces",
    signal="traces",
    columns=(
        Column("Timestamp", TIME, TIME_CODEC),
        Column("TraceId", "String"),
        Column("SpanId", "String"),
        Column("ParentSpanId", "String"),
        Column("TraceState", "String"),
        Column("SpanName", "LowCardinality(String)"),
        Column("SpanKind", "LowCardinality(String)"),
        Column("ServiceName", "LowCardinality(String)"),
        Column("ResourceAttributes", ATTRS),
        Column("ScopeName", "String"),
        Column("ScopeVersion", "String"),
        Column("SpanAttributes", ATTRS),
        Column("Duration", "UInt64"),
        Column("StatusCode", "LowCardinality(String)"),
        Column("StatusMessage", "String"),
        Column("Events.Timestamp", f"Array({TIME})"),
        Column("Events.Name", "Array(LowCardinality(String))"),
        Column("Events.Attributes", f"Array({ATTRS})"),
        Column("Links.TraceId", "Array(String)"),
        Column("Links.SpanId", "Array(String)"),
        Column("Links.TraceState", "Array(String)"),
        Column("Links.Attributes", f"Array({ATTRS})"),
    ),
    indexes=(
        _bloom("idx_trace_id", "TraceId", "0.001"),
        *_map_indexes("res_attr", "ResourceAttributes"),
        *_map_indexes("span_attr", "SpanAttributes"),
        "idx_duration Duration TYPE minmax GRANULARITY 1",
    ),
    partition_by="toDate(Timestamp)",
    order_by="(ServiceName, SpanName, toDateTime(Timestamp))",
    ttl_column="toDateTime(Timestamp)",
)

# --- metrics ---------------------------------------------------------------------------------

_METRIC_HEAD = (
    Column("ResourceAttributes", ATTRS),
    Column("ResourceSchemaUrl", "String"),
    Column("ScopeName", "String"),
    Column("ScopeVersion", "String"),
    Column("ScopeAttributes", ATTRS),
    Column("ScopeDroppedAttrCount", "UInt32"),
    Column("ScopeSchemaUrl", "String"),
    Column("ServiceName", "LowCardinality(String)"),
    Column("MetricName", "String"),
    Column("MetricDescription", "String"),
    Column("MetricUnit", "String"),
    Column("Attributes", ATTRS),
    Column("StartTimeUnix", TIME, TIME_CODEC),
    Column("TimeUnix", TIME, TIME_CODEC),
)

_EXEMPLARS = (
    Column("Exemplars.FilteredAttributes", f"Array({ATTRS})"),
    Column("Exemplars.TimeUnix", f"Array({TIME})"),
    Column("Exemplars.Value", "Array(Float64)"),
    Column("Exemplars.SpanId", "Array(String)"),
    Column("Exemplars.TraceId", "Array(String)"),
)

_FLAGS = Column("Flags", "UInt32")
_TEMPORALITY = Column("AggregationTemporality", "Int32")
_COUNT_SUM = (Column("Count", "UInt64", "CODEC(Delta, ZSTD(1))"), Column("Sum", "Float64"))
_MIN_MAX = (Column("Min", "Float64"), Column("Max", "Float64"))


def _metric(name: str, *columns: Column) -> Table:
    return Table(
        name=name,
        signal="metrics",
        columns=_METRIC_HEAD + columns,
        indexes=(
            *_map_indexes("res_attr", "ResourceAttributes"),
            *_map_indexes("scope_attr", "ScopeAttributes"),
            *_map_indexes("attr", "Attributes"),
        ),
        partition_by="toDate(TimeUnix)",
        order_by="(ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))",
        ttl_column="toDateTime(TimeUnix)",
    )


GAUGE = _metric("otel_metrics_gauge", Column("Value", "Float64"), _FLAGS, *_EXEMPLARS)
SUM = _metric(
    "otel_metrics_sum",
    Column("Value", "Float64"),
    _FLAGS,
    *_EXEMPLARS,
    _TEMPORALITY,
    Column("IsMonotonic", "Bool", "CODEC(Delta, ZSTD(1))"),
)
HISTOGRAM = _metric(
    "otel_metrics_histogram",
    *_COUNT_SUM,
    Column("BucketCounts", "Array(UInt64)"),
    Column("ExplicitBounds", "Array(Float64)"),
    *_EXEMPLARS,
    _FLAGS,
    *_MIN_MAX,
    _TEMPORALITY,
)
EXP_HISTOGRAM = _metric(
    "otel_metrics_exponential_histogram",
    *_COUNT_SUM,
    Column("Scale", "Int32"),
    Column("ZeroCount", "UInt64"),
    Column("PositiveOffset", "Int32"),
    Column("PositiveBucketCounts", "Array(UInt64)"),
    Column("NegativeOffset", "Int32"),
    Column("NegativeBucketCounts", "Array(UInt64)"),
    *_EXEMPLARS,
    _FLAGS,
    *_MIN_MAX,
    _TEMPORALITY,
)
SUMMARY = _metric(
    "otel_metrics_summary",
    *_COUNT_SUM,
    Column("ValueAtQuantiles.Quantile", "Array(Float64)"),
    Column("ValueAtQuantiles.Value", "Array(Float64)"),
    _FLAGS,
)

TABLES: tuple[Table, ...] = (LOGS, TRACES, GAUGE, SUM, HISTOGRAM, EXP_HISTOGRAM, SUMMARY, SESSIONS)
BY_NAME = {t.name: t for t in TABLES}

# --- Arrow types for inserts -------------------------------------------------------------------

_ARROW_SCALARS: dict[str, pa.DataType] = {
    "String": pa.string(),
    "LowCardinality(String)": pa.string(),
    TIME: pa.timestamp("ns"),
    "UInt8": pa.uint8(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "Int32": pa.int32(),
    "Float64": pa.float64(),
    "Bool": pa.bool_(),
    ATTRS: pa.map_(pa.string(), pa.string()),
}


def arrow_type(ch_type: str) -> pa.DataType:
    if ch_type.startswith("Array(") and ch_type.endswith(")"):
        return pa.list_(arrow_type(ch_type[6:-1]))
    return _ARROW_SCALARS[ch_type]


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type)) for c in table.insert_columns])

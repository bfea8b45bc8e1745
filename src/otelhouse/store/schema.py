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
    materialized: str = ""  # a MATERIALIZED expression: computed, never sent

    @property
    def computed(self) -> bool:
        return bool(self.default or self.materialized)

    def ddl(self) -> str:
        parts = [f"`{self.name}`", self.type]
        if self.default:
            parts.append(f"DEFAULT {self.default}")
        if self.materialized:
            parts.append(f"MATERIALIZED {self.materialized}")
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
    settings: str = "index_granularity = 8192, ttl_only_drop_parts = 1"
    # On a cluster, which shard a row goes to: spans of one trace stay together, the rest spreads evenly.
    sharding_key: str = "rand()"

    @property
    def insert_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.computed)

    def ttl_expression(self, seconds: int) -> str:
        return f"{self.ttl_column} + toIntervalSecond({int(seconds)})"

    def storage_name(self, cluster: str = "") -> str:
        """The table that holds the rows (and the TTL): on a cluster, the replicated table on each shard
        behind the `Distributed` table the app reads and writes."""
        return f"{self.name}_local" if cluster else self.name

    def create_sql(self, database: str, ttl_seconds: int, cluster: str = "") -> str:
        """The table on one server, or with `cluster` the replicated local table on every node of it."""
        body = ",\n    ".join([c.ddl() for c in self.columns] + [f"INDEX {i}" for i in self.indexes])
        primary = f"PRIMARY KEY {self.primary_key}\n" if self.primary_key else ""
        # Only the TTL metadata is recomputed when the TTL changes; expired parts are then dropped whole
        # (ttl_only_drop_parts), so a retention change never rewrites the stored columns.
        settings = f"{self.settings}, materialize_ttl_recalculate_only = 1"
        # Without arguments, ReplicatedMergeTree uses the server's default_replica_path/name (its {shard}
        # and {replica} macros), which is what ClickHouse recommends for ON CLUSTER DDL.
        engine = "ReplicatedMergeTree" if cluster else "MergeTree"
        return (
            f"CREATE TABLE IF NOT EXISTS `{database}`.`{self.storage_name(cluster)}`{_on_cluster(cluster)}\n"
            f"(\n    {body}\n)\n"
            f"ENGINE = {engine}\nPARTITION BY {self.partition_by}\n{primary}"
            f"ORDER BY {self.order_by}\nTTL {self.ttl_expression(ttl_seconds)}\n"
            f"SETTINGS {settings}"
        )

    def distributed_sql(self, database: str, cluster: str) -> str:
        """The `Distributed` table in front of the local tables: inserts are spread over the shards by
        `sharding_key`, reads fan out to all of them. It has the name the app (and ClickStack) uses."""
        local = self.storage_name(cluster)
        return (
            f"CREATE TABLE IF NOT EXISTS `{database}`.`{self.name}`{_on_cluster(cluster)}\n"
            f"AS `{database}`.`{local}`\n"
            f"ENGINE = Distributed('{cluster}', '{database}', '{local}', {self.sharding_key})"
        )

    def create_statements(self, database: str, ttl_seconds: int, cluster: str = "") -> list[str]:
        if not cluster:
            return [self.create_sql(database, ttl_seconds)]
        return [self.create_sql(database, ttl_seconds, cluster), self.distributed_sql(database, cluster)]


def _on_cluster(cluster: str) -> str:
    return f" ON CLUSTER `{cluster}`" if cluster else ""


def _bloom(name: str, expr: str, rate: str = "0.01") -> str:
    return f"{name} {expr} TYPE bloom_filter({rate}) GRANULARITY 1"


def _map_indexes(prefix: str, column: str) -> tuple[str, ...]:
    return (
        _bloom(f"idx_{prefix}_key", f"mapKeys({column})"),
        _bloom(f"idx_{prefix}_value", f"mapValues({column})"),
    )


# --- logs (also the shape of hyperdx_sessions, as in ClickStack) ---------------------------
# ClickStack's otel_logs has no EventName; the collector exporter's newer schema has it, and an
# extra column breaks no query, so it is kept rather than dropped on the floor.

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


def _materialized_resource(attribute: str) -> Column:
    """ClickStack's shortcut columns for Kubernetes and environment attributes."""
    return Column(
        f"__hdx_materialized_{attribute}", "LowCardinality(String)", materialized=f"ResourceAttributes['{attribute}']"
    )


_LOG_MATERIALIZED = tuple(
    _materialized_resource(a)
    for a in (
        "k8s.cluster.name",
        "k8s.container.name",
        "k8s.deployment.name",
        "k8s.namespace.name",
        "k8s.node.name",
        "k8s.pod.name",
        "k8s.pod.uid",
        "deployment.environment.name",
    )
)

_LOG_INDEXES = (
    _bloom("idx_trace_id", "TraceId", "0.001"),
    *_map_indexes("res_attr", "ResourceAttributes"),
    *_map_indexes("scope_attr", "ScopeAttributes"),
    *_map_indexes("log_attr", "LogAttributes"),
    "idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8",
)


def _log_like(name: str, signal: str, extra: tuple[Column, ...] = (), settings: str = "") -> Table:
    return Table(
        name=name,
        signal=signal,
        columns=_LOG_COLUMNS + extra,
        indexes=_LOG_INDEXES,
        partition_by="toDate(TimestampTime)",
        primary_key="(ServiceName, TimestampTime)",
        order_by="(ServiceName, TimestampTime, Timestamp)",
        ttl_column="TimestampTime",
        settings=settings or "index_granularity = 8192, ttl_only_drop_parts = 1",
    )


LOGS = _log_like(
    "otel_logs",
    "logs",
    _LOG_MATERIALIZED,
    "index_granularity = 8192, ttl_only_drop_parts = 1, enable_block_number_column = 1, enable_block_offset_column = 1",
)
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
        Column("__hdx_materialized_rum.sessionId", "String", materialized="ResourceAttributes['rum.sessionId']"),
        Column(
            "SampleRate",
            "UInt64",
            "CODEC(T64, ZSTD(1))",
            materialized="greatest(toUInt64OrZero(SpanAttributes['SampleRate']), 1)",
        ),
    ),
    indexes=(
        _bloom("idx_trace_id", "TraceId", "0.001"),
        _bloom("idx_rum_session_id", "__hdx_materialized_rum.sessionId", "0.001"),
        *_map_indexes("res_attr", "ResourceAttributes"),
        *_map_indexes("span_attr", "SpanAttributes"),
        "idx_duration Duration TYPE minmax GRANULARITY 1",
        "idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8",
    ),
    partition_by="toDate(Timestamp)",
    order_by="(ServiceName, SpanName, toDateTime(Timestamp))",
    ttl_column="toDate(Timestamp)",
    sharding_key="cityHash64(TraceId)",
)

# --- metrics ---------------------------------------------------------------------------------
# As ClickStack stores them: point times in whole seconds (DateTime), rows ordered by hour and a
# hash of the attributes so one series' points sit together.

SECONDS = "DateTime"

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
    Column("StartTimeUnix", SECONDS, TIME_CODEC),
    Column("TimeUnix", SECONDS, TIME_CODEC),
)

_EXEMPLARS = (
    Column("Exemplars.FilteredAttributes", f"Array({ATTRS})"),
    Column("Exemplars.TimeUnix", f"Array({SECONDS})"),
    Column("Exemplars.Value", "Array(Float64)"),
    Column("Exemplars.SpanId", "Array(String)"),
    Column("Exemplars.TraceId", "Array(String)"),
)

_FLAGS = Column("Flags", "UInt32")
_TEMPORALITY = Column("AggregationTemporality", "Int32")
_COUNT_SUM = (Column("Count", "UInt64", TIME_CODEC), Column("Sum", "Float64"))
_MIN_MAX = (Column("Min", "Float64"), Column("Max", "Float64"))


def _metric(name: str, *columns: Column, head: tuple[Column, ...] = _METRIC_HEAD) -> Table:
    return Table(
        name=name,
        signal="metrics",
        columns=head + columns,
        indexes=(
            *_map_indexes("res_attr", "ResourceAttributes"),
            *_map_indexes("scope_attr", "ScopeAttributes"),
            *_map_indexes("attr", "Attributes"),
            "idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1",
        ),
        partition_by="toDate(TimeUnix)",
        order_by="(ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)",
        ttl_column="toDateTime(TimeUnix)",
        settings="ttl_only_drop_parts = 1",
    )


# ClickStack's gauge table alone keeps MetricName as LowCardinality.
_GAUGE_HEAD = tuple(Column(c.name, "LowCardinality(String)") if c.name == "MetricName" else c for c in _METRIC_HEAD)


GAUGE = _metric("otel_metrics_gauge", Column("Value", "Float64"), _FLAGS, *_EXEMPLARS, head=_GAUGE_HEAD)
SUM = _metric(
    "otel_metrics_sum",
    Column("Value", "Float64"),
    _FLAGS,
    *_EXEMPLARS,
    _TEMPORALITY,
    Column("IsMonotonic", "Bool"),
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
    SECONDS: pa.timestamp("ns"),  # ClickHouse drops the fraction
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

"""otelhouse's own Prometheus metrics, on a registry per server (no process globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class SelfMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "otelhouse_records_received",
            "OTLP records received, before validation.",
            ["signal"],
            registry=self.registry,
        )
        self.inserted = Counter(
            "otelhouse_records_inserted", "Rows inserted into ClickHouse.", ["signal", "table"], registry=self.registry
        )
        self.rejected = Counter(
            "otelhouse_records_rejected",
            "OTLP records refused as invalid (partial success).",
            ["signal"],
            registry=self.registry,
        )
        self.requests = Counter(
            "otelhouse_otlp_requests",
            "OTLP requests by outcome.",
            ["transport", "signal", "outcome"],
            registry=self.registry,
        )
        self.queue_rows = Gauge("otelhouse_queue_rows", "Rows decoded and waiting for insert.", registry=self.registry)
        self.insert_seconds = Histogram(
            "otelhouse_insert_seconds",
            "Time of one ClickHouse insert.",
            ["table"],
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.insert_failures = Counter(
            "otelhouse_insert_failures", "Inserts ClickHouse did not accept.", ["table"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""All configuration, read once from `OTELHOUSE_*` environment variables and CLI flags.

Nothing else in otelhouse reads the environment. Secrets can also come from a file named by
`OTELHOUSE_<NAME>_FILE` (Docker and Kubernetes secrets).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SECRET_FIELDS = (
    "clickhouse_ingest_password",
    "clickhouse_query_password",
    "clickhouse_admin_password",
    "session_secret",
    "database_url",
    "smtp_password",
)


def parse_duration(text: str) -> int:
    """'30d', '72h', '90m', '3600' (seconds) -> seconds."""
    match = _DURATION.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration: use a positive number with s, m, h, d or w, e.g. 30d or 72h")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OTELHOUSE_", extra="ignore")

    data_dir: Path = Field(Path("otelhouse-data"), description="Where the embedded ClickHouse and SQLite live.")
    clickhouse_url: str = Field(
        "", description="`http(s)://host:port` for a ClickHouse server or Cloud; empty = embedded chDB in the data dir."
    )
    clickhouse_database: str = Field("otel", description="ClickHouse database holding the otel_* tables.")
    clickhouse_ingest_user: str = Field("default", description="ClickHouse user for inserts and schema (server only).")
    clickhouse_ingest_password: str = Field("", description="Its password (or `_FILE`).", repr=False)
    clickhouse_query_user: str = Field("default", description="ClickHouse user for reads (server only).")
    clickhouse_query_password: str = Field("", description="Its password (or `_FILE`).", repr=False)
    clickhouse_ingest_password_file: Path | None = Field(None, description="File holding the ingest password.")
    clickhouse_query_password_file: Path | None = Field(None, description="File holding the query password.")
    clickhouse_admin_user: str = Field(
        "",
        description="ClickHouse user allowed to `ALTER` the otel tables, used only for retention changes (server only; "
        "empty = retention is changed with `otelhouse retention set` and admin credentials).",
    )
    clickhouse_admin_password: str = Field("", description="Its password (or `_FILE`).", repr=False)
    clickhouse_admin_password_file: Path | None = Field(None, description="File holding the admin password.")
    clickhouse_cluster: str = Field(
        "",
        description="ClickHouse cluster name: tables are made `ON CLUSTER` as `ReplicatedMergeTree` `<table>_local` "
        "tables with `Distributed` tables in front; empty = one server.",
    )
    database_url: str = Field(
        "", description="Metadata database: `postgresql://…`; empty = SQLite at `<data dir>/meta.db`.", repr=False
    )
    database_url_file: Path | None = Field(
        None, description="File holding the metadata database URL (it carries the password)."
    )

    api_host: str = Field("127.0.0.1", description="Bind address of the HTTP API.")
    api_port: int = Field(8080, description="Port of the HTTP API.")
    otlp_http_host: str = Field("127.0.0.1", description="Bind address of the OTLP/HTTP receiver.")
    otlp_http_port: int = Field(4318, description="Port of the OTLP/HTTP receiver.")
    otlp_grpc_host: str = Field("127.0.0.1", description="Bind address of the OTLP/gRPC receiver.")
    otlp_grpc_port: int = Field(4317, description="Port of the OTLP/gRPC receiver.")
    role: Literal["all", "ingest", "app"] = Field(
        "all",
        description="What this process serves: `all`; `ingest` = the OTLP receivers only (plus /health, /ready "
        "and /metrics on the API port), a stateless gateway to scale out; `app` = the API and web UI, no OTLP.",
    )
    tls_cert_file: Path | None = Field(
        None, description="PEM certificate (chain) served by the API and both OTLP receivers; empty = plain text."
    )
    tls_key_file: Path | None = Field(None, description="PEM private key of that certificate (unencrypted).")
    otlp_client_ca_file: Path | None = Field(
        None,
        description="PEM CA bundle: OTLP clients (gRPC and HTTP) must present a certificate it signed (mTLS).",
    )
    clickhouse_ca_file: Path | None = Field(
        None,
        description="PEM CA bundle that signed the ClickHouse server's certificate (`https://`); empty = system CAs.",
    )
    tls_terminated_by_proxy: bool = Field(
        False,
        description="Production mode accepts plain-text listeners on non-loopback addresses because a proxy or load "
        "balancer in front terminates TLS for every one of them. Set it only when that is true.",
    )
    plaintext_hosts: str = Field(
        "",
        description="Comma-separated ClickHouse/PostgreSQL host names production mode accepts without TLS, because "
        "they are reached only over a private network no one else is on (e.g. `clickhouse,postgres` in the "
        "compose file's internal network).",
        repr=False,  # internal topology, like the database URL: not for logs
    )
    min_free_disk_mb: int = Field(
        1024,
        ge=0,
        description="Production mode refuses to start with less free disk (MiB) for the embedded store or the spool.",
    )

    ttl_logs: str = Field("30d", description="Retention of otel_logs.")
    ttl_traces: str = Field("30d", description="Retention of otel_traces.")
    ttl_metrics: str = Field("30d", description="Retention of the otel_metrics_* tables.")
    ttl_sessions: str = Field("30d", description="Retention of hyperdx_sessions.")

    batch_max_rows: int = Field(50_000, ge=1, description="Insert a table's batch once it holds this many rows…")
    batch_max_delay_ms: int = Field(1000, ge=1, description="…or once its oldest row waited this long.")
    queue_max_rows: int = Field(
        400_000, ge=1, description="Rows waiting for insert before new requests get 503/UNAVAILABLE."
    )
    max_request_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest OTLP request body, after decompression (413 above)."
    )
    ack_after: Literal["insert", "spool"] = Field(
        "insert",
        description="Answer an OTLP request once its rows are inserted (`insert`), or once they are fsynced to "
        "the spool in the data dir (`spool`: bigger batches, more throughput; inserted soon after, also after "
        "a crash).",
    )
    decode_workers: int = Field(
        2, ge=0, description="Processes decoding OTLP into columns; 0 = decode in threads of the server process."
    )
    key_cache_seconds: float = Field(
        5.0, gt=0, description="How long a checked ingestion key is trusted before the database is asked again."
    )
    log_level: str = Field("info", description="debug, info, warning or error.")

    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses to start without a strong session secret (and the other production checks).",
    )
    public_url: str = Field(
        "", description="The URL people open, e.g. `https://otel.example.com`; https makes cookies `Secure`."
    )
    session_secret: str = Field(
        "",
        description="Signs session cookies and derives the key that encrypts stored secrets; 32+ random bytes "
        "(`otelhouse secret` makes one). Empty in development = generated and kept in the data dir.",
        repr=False,
    )
    session_secret_file: Path | None = Field(None, description="File holding the session secret.")
    session_idle_timeout: str = Field("24h", description="A session unused this long ends.")
    session_max_age: str = Field("7d", description="A session ends this long after login, used or not.")
    login_max_failures_per_account: int = Field(
        5, ge=1, description="Failed logins for one account within `login_window` before it is throttled."
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address within `login_window` before it is throttled."
    )
    login_window: str = Field("15m", description="The window over which failed logins are counted.")
    invitation_ttl: str = Field("7d", description="How long an invitation link can be used.")
    key_rotation_overlap: str = Field(
        "24h", description="How long the old ingestion key keeps working after a rotation (0 = none)."
    )
    api_key_rate_limit: int = Field(
        600, ge=1, description="Requests per minute allowed for one personal API key (429 above)."
    )
    max_api_body_bytes: int = Field(1024 * 1024, ge=1024, description="Largest body of a request to `/api`.")
    password_time_cost: int = Field(3, ge=2, description="argon2id passes for password hashes.")
    password_memory_kib: int = Field(
        65536, ge=19456, description="argon2id memory per password hash, KiB (hashes are upgraded at login)."
    )
    query_timeout_seconds: int = Field(
        30, ge=1, le=3600, description="`max_execution_time` of every search, chart and metadata query."
    )
    query_max_rows_to_read: int = Field(
        10_000_000,
        ge=1000,
        description="Rows a facet, key-list or pattern query may read before it stops early "
        "(its answer is then marked partial).",
    )
    base_path: str = Field(
        "",
        description="Path prefix the whole HTTP API and web UI are served under behind a proxy, e.g. `/otel`; "
        "empty = at `/`. The proxy passes the prefix on; requests outside it get 404.",
    )
    ui_dir: Path | None = Field(
        None, description="Folder holding the built web UI; empty = the one `make ui` builds into the package."
    )
    outbound_allow: str = Field(
        "",
        description="Comma-separated networks (CIDR) that connections and webhooks may reach even though they "
        "are blocked by default (link-local, cloud metadata, multicast, reserved).",
    )
    smtp_host: str = Field("", description="SMTP server that sends alert emails; empty = email channels cannot send.")
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_user: str = Field("", description="SMTP login user; empty = no login.")
    smtp_password: str = Field("", description="Its password (or `_FILE`).", repr=False)
    smtp_password_file: Path | None = Field(None, description="File holding the SMTP password.")
    smtp_from: str = Field("", description="Sender address of alert emails, e.g. `otelhouse@example.com`.")
    smtp_starttls: bool = Field(
        True, description="Upgrade the SMTP connection with STARTTLS (and refuse a server that does not offer it)."
    )
    test_alert_minute_seconds: int = Field(
        0,
        ge=0,
        description="Tests only: alert windows as if a minute lasted this many seconds (a 1m alert runs every N s); "
        "0 = off. Refused with `OTELHOUSE_ENV=production`.",
    )

    @field_validator(
        "clickhouse_ingest_password_file",
        "clickhouse_query_password_file",
        "clickhouse_admin_password_file",
        "database_url_file",
        "session_secret_file",
        "smtp_password_file",
        "ui_dir",
        "tls_cert_file",
        "tls_key_file",
        "otlp_client_ca_file",
        "clickhouse_ca_file",
        mode="before",
    )
    @classmethod
    def _empty_file_is_unset(cls, value: object) -> object:
        # `OTELHOUSE_X_FILE=` (as compose files write `${X_FILE:-}`) means "no file", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Settings:
        """`OTELHOUSE_X_FILE=/run/secrets/x` fills X from that file when X itself is unset."""
        for name in SECRET_FIELDS:
            path = getattr(self, f"{name}_file")
            if path is not None and not getattr(self, name):
                setattr(self, name, Path(path).read_text().strip())
        return self

    @model_validator(mode="after")
    def _no_test_clock_in_production(self) -> Settings:
        if self.env == "production" and self.test_alert_minute_seconds:
            raise ValueError(
                "OTELHOUSE_TEST_ALERT_MINUTE_SECONDS is for tests only and refused in production: unset it"
            )
        return self

    @field_validator(
        "ttl_logs",
        "ttl_traces",
        "ttl_metrics",
        "ttl_sessions",
        "session_idle_timeout",
        "session_max_age",
        "login_window",
        "invitation_ttl",
    )
    @classmethod
    def _valid_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("clickhouse_database", "clickhouse_cluster")
    @classmethod
    def _valid_identifier(cls, value: str, info: ValidationInfo) -> str:
        if value == "" and info.field_name == "clickhouse_cluster":
            return value  # no cluster
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be letters, digits and underscores")
        return value

    @field_validator("base_path")
    @classmethod
    def _valid_base_path(cls, value: str) -> str:
        """`/otel`, `/otel/`, `otel` -> `/otel`; `/` and empty -> empty."""
        path = "/" + value.strip().strip("/")
        if path == "/":
            return ""
        segments = path[1:].split("/")
        if any(not re.fullmatch(r"[A-Za-z0-9._~-]+", part) or part in (".", "..") for part in segments):
            raise ValueError("must be a URL path such as /otel: segments of letters, digits, '.', '_', '~' and '-'")
        return path

    @field_validator("key_rotation_overlap")
    @classmethod
    def _valid_overlap(cls, value: str) -> str:
        if value.strip() not in ("0", "0s") and parse_duration(value) > 30 * 86400:
            raise ValueError("the rotation overlap can be at most 30d")
        return value

    @property
    def rotation_overlap_seconds(self) -> int:
        return 0 if self.key_rotation_overlap.strip() in ("0", "0s") else parse_duration(self.key_rotation_overlap)

    @property
    def secure_cookies(self) -> bool:
        """Cookies get `Secure` and the `__Host-` prefix when people reach the app over HTTPS."""
        return self.public_url.lower().startswith("https://")

    def ttl_seconds(self, signal: str) -> int:
        return parse_duration(getattr(self, f"ttl_{signal}"))

    @property
    def embedded(self) -> bool:
        return not self.clickhouse_url

    @property
    def spool_path(self) -> Path:
        return self.data_dir.resolve() / "spool"

    @property
    def chdb_path(self) -> Path:
        return self.data_dir.resolve() / "clickhouse"

    @property
    def metadata_url(self) -> str:
        """SQLAlchemy async URL of the metadata database."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'meta.db'}"
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        return url

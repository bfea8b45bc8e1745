"""Everything the API's routes need, built once by the composition root and kept on `app.state`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request

from otelhouse.app.cache import TtlCache
from otelhouse.app.ratelimit import RateLimiter
from otelhouse.meta.accounts import Accounts, LoginLimits
from otelhouse.meta.api_keys import ApiKeyInfo, ApiKeys
from otelhouse.meta.connections import ConnectionSecret, SourceInfo
from otelhouse.meta.crypto import SecretBox
from otelhouse.meta.db import MetaDB
from otelhouse.meta.keys import IngestionKeys
from otelhouse.meta.logins import Logins
from otelhouse.meta.passwords import Passwords
from otelhouse.meta.roles import Role
from otelhouse.query.schema_cache import SchemaCache
from otelhouse.settings import Settings, parse_duration
from otelhouse.store.client import Store
from otelhouse.store.readers import RemoteReaders
from otelhouse.telemetry import SelfMetrics


async def _always_ready() -> bool:
    return True


@dataclass
class AppContext:
    settings: Settings
    meta: MetaDB
    session_secret: bytes
    metrics: SelfMetrics = field(default_factory=SelfMetrics)
    store_ready: Callable[[], Awaitable[bool]] = _always_ready
    queue_rows: Callable[[], int] = lambda: 0
    # The server's own ClickHouse (embedded chDB or the configured server); None in tests without one.
    store: Store | None = None
    schema_cache: SchemaCache = field(default_factory=SchemaCache)
    # Clients of teams' own ClickHouse connections, made on first query; closed on shutdown.
    remote_readers: RemoteReaders = field(default_factory=RemoteReaders)
    # Built from the above in __post_init__:
    box: SecretBox = field(init=False)
    passwords: Passwords = field(init=False)
    accounts: Accounts = field(init=False)
    logins: Logins = field(init=False)
    api_keys: ApiKeys = field(init=False)
    ingestion_keys: IngestionKeys = field(init=False)
    api_key_limiter: RateLimiter = field(init=False)
    # Keyed by the key's SHA-256: (key, owner's role). And (team, source id) -> (source, connection URL).
    api_key_cache: TtlCache[str, tuple[ApiKeyInfo, Role]] = field(init=False)
    source_cache: TtlCache[tuple[int, int], tuple[SourceInfo, ConnectionSecret]] = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.box = SecretBox(self.session_secret)
        self.passwords = Passwords(settings.password_time_cost, settings.password_memory_kib)
        limits = LoginLimits(
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_address,
            parse_duration(settings.login_window),
        )
        self.accounts = Accounts(
            self.meta.sessions,
            self.passwords,
            clickhouse_database=settings.clickhouse_database,
            limits=limits,
            box=self.box,
        )
        self.logins = Logins(
            self.meta.sessions,
            idle_seconds=parse_duration(settings.session_idle_timeout),
            max_age_seconds=parse_duration(settings.session_max_age),
        )
        self.api_keys = ApiKeys(self.meta.sessions)
        self.ingestion_keys = IngestionKeys(self.meta.sessions, self.box)
        self.api_key_limiter = RateLimiter(per_minute=settings.api_key_rate_limit)
        self.api_key_cache = TtlCache(settings.key_cache_seconds)
        self.source_cache = TtlCache(settings.key_cache_seconds)


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx

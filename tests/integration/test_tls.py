"""TLS on the three listeners of a real `otelhouse serve`, with certificates made for this run.

The real OpenTelemetry SDK exporters send over HTTPS and gRPC-with-TLS and their rows become
searchable; plain-text clients, clients that trust another CA and TLS 1.1 are refused; with a client
CA (mTLS) an exporter without a certificate, or with one from another CA, is refused; the API answers
over HTTPS with HSTS and a `Secure` `__Host-` cookie; and bad TLS files stop the start with a message.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clickhouse_connect
import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExportResult
from opentelemetry.sdk.trace.export import SpanExportResult
from sqlalchemy import text

from otelhouse.errors import BadRequest
from otelhouse.meta.db import MetaDB
from otelhouse.settings import Settings
from otelhouse.store import remote
from otelhouse.tls import TLSConfigError, check_clickhouse_tls, clickhouse_tls_kwargs
from support.api import PASSWORD
from support.certs import Certs, Pair, TlsProxy, make_certs
from support.fake_clickhouse import FakeClickHouse
from support.otlp import PROTOBUF, encode, headers, logs_request
from support.postgres import as_pg_user, free_port, pg_bin, pg_workdir, run_pg
from support.sdk import make_logs, make_metrics, make_spans
from support.server import Server

# The TLS 1.1 client below is deliberately outdated.
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
LOGS = 4


@pytest.fixture(autouse=True)
def _no_ca_bundle_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE win over the CA an exporter was given: without
    them, the exporters trust exactly the CA each test names."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def _tls_env(certs: Certs, *, client_ca: Path | None = None) -> dict[str, str]:
    env = {"OTELHOUSE_TLS_CERT_FILE": str(certs.server.cert), "OTELHOUSE_TLS_KEY_FILE": str(certs.server.key)}
    if client_ca is not None:
        env["OTELHOUSE_OTLP_CLIENT_CA_FILE"] = str(client_ca)
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("tls"), env=_tls_env(certs), ca_file=certs.ca).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[Server]:
    env = _tls_env(certs, client_ca=certs.ca)
    server = Server(tmp_path_factory.mktemp("mtls"), env=env, ca_file=certs.ca).start()
    yield server
    server.stop()


@dataclass
class Browser:
    client: httpx.Client
    login_cookie: str  # the Set-Cookie header of the registration


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    """A browser-like client logged in over HTTPS (the first account registers)."""
    with httpx.Client(base_url=server.api, verify=server.verify, timeout=30) as client:
        registered = client.post("/api/auth/register", json={"email": "tls@example.com", "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        yield Browser(client, registered.headers["set-cookie"])


def tls_exporters(
    transport: str, server: Server, ca: Path, client: Pair | None = None, timeout: float = 30
) -> dict[str, Any]:
    """The SDK's three exporters over TLS, trusting `ca` and, for mTLS, presenting `client`."""
    key = server.key
    if transport == "grpc":
        credentials = grpc.ssl_channel_credentials(
            root_certificates=ca.read_bytes(),
            private_key=client.key.read_bytes() if client else None,
            certificate_chain=client.cert.read_bytes() if client else None,
        )
        endpoint = f"https://127.0.0.1:{server.grpc_port}"
        grpc_args: dict[str, Any] = {
            "endpoint": endpoint,
            "insecure": False,
            "credentials": credentials,
            "headers": {"authorization": key},
            "timeout": timeout,
        }
        return {
            "traces": GrpcSpanExporter(**grpc_args),
            "logs": GrpcLogExporter(**grpc_args),
            "metrics": GrpcMetricExporter(**grpc_args),
        }
    http_args: dict[str, Any] = {
        "certificate_file": str(ca),
        "client_certificate_file": str(client.cert) if client else None,
        "client_key_file": str(client.key) if client else None,
        "headers": {"authorization": f"Bearer {key}"},
        "timeout": timeout,
    }
    base = f"https://127.0.0.1:{server.http_port}"
    return {
        "traces": HttpSpanExporter(endpoint=f"{base}/v1/traces", **http_args),
        "logs": HttpLogExporter(endpoint=f"{base}/v1/logs", **http_args),
        "metrics": HttpMetricExporter(endpoint=f"{base}/v1/metrics", **http_args),
    }


def _export_all(sent: dict[str, Any], service: str) -> tuple[Any, Any, Any]:
    try:
        return (
            sent["traces"].export(make_spans(service)),
            sent["logs"].export(make_logs(service, LOGS)),
            sent["metrics"].export(make_metrics(service)),
        )
    finally:
        for exporter in sent.values():
            exporter.shutdown()


def _export_logs(sent: dict[str, Any]) -> Any:
    try:
        return sent["logs"].export(make_logs("refused", 1))
    finally:
        for exporter in sent.values():
            exporter.shutdown()


def _counts(browser: Browser, service: str) -> dict[str, int]:
    client = browser.client
    sources = {source["kind"]: source["id"] for source in client.get("/api/team/sources").json()}
    counts = {}
    for kind in ("log", "trace"):
        body = {"source_id": sources[kind], "since": "1h", "query": f"service:{service}"}
        counts[kind] = client.post("/api/search/count", json=body).json().get("count")
    return counts


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_sdk_exporters_send_over_tls_and_the_rows_are_stored(
    server: Server, certs: Certs, browser: Browser, transport: str
) -> None:
    service = f"tls-{transport}"
    results = _export_all(tls_exporters(transport, server, certs.ca), service)
    assert results == (SpanExportResult.SUCCESS, LogRecordExportResult.SUCCESS, MetricExportResult.SUCCESS)
    deadline = time.monotonic() + 30
    while (counts := _counts(browser, service)) != {"log": LOGS, "trace": 2} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert counts == {"log": LOGS, "trace": 2}


def test_plain_text_is_refused_on_every_tls_port(server: Server) -> None:
    for port in (server.api_port, server.http_port):
        with pytest.raises(httpx.HTTPError):  # the server speaks TLS and drops the plain request
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
    channel = grpc.insecure_channel(server.otlp_grpc)
    try:
        with pytest.raises(grpc.FutureTimeoutError):
            grpc.channel_ready_future(channel).result(timeout=3)
    finally:
        channel.close()
    body = encode(logs_request("plain", good=1), PROTOBUF)
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"http://127.0.0.1:{server.http_port}/v1/logs", content=body, headers=headers(server.key), timeout=5)


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_a_client_trusting_another_ca_is_refused(server: Server, certs: Certs, transport: str) -> None:
    result = _export_logs(tls_exporters(transport, server, certs.other_ca, timeout=3))
    assert result == LogRecordExportResult.FAILURE
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{server.api}/health", verify=ssl.create_default_context(cafile=certs.other_ca), timeout=5)


def _handshake(port: int, version: ssl.TLSVersion) -> str:
    """The TLS version agreed with the server, or the reason the handshake failed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer old versions at all
    context.minimum_version = context.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw) as tls:
                return str(tls.version())
        except (ssl.SSLError, OSError) as exc:
            return str(exc)


def test_tls_1_1_is_refused_and_1_2_and_1_3_are_spoken(server: Server) -> None:
    for port in (server.api_port, server.http_port, server.grpc_port):
        refused = _handshake(port, ssl.TLSVersion.TLSv1_1)
        # The same client, changed only in the version it offers, gets through: the version was the reason.
        # (OpenSSL answers with a protocol_version alert; gRPC's TLS stack just hangs up.)
        assert not refused.startswith("TLS"), f"port {port} agreed to {refused}"
        assert _handshake(port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
        assert _handshake(port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"


def test_the_app_over_https_sends_hsts_and_a_secure_host_cookie(browser: Browser) -> None:
    cookie = browser.login_cookie.lower()
    assert cookie.startswith("__host-otelhouse_session=")
    assert "secure" in cookie and "httponly" in cookie and "path=/" in cookie and "domain" not in cookie
    me = browser.client.get("/api/me")
    assert me.status_code == 200 and me.json()["user"]["email"] == "tls@example.com"
    assert me.headers["strict-transport-security"].startswith("max-age=")
    assert browser.client.get("/health").headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("transport", ["http", "grpc"])
def test_mtls_refuses_an_exporter_without_a_client_certificate(
    mtls_server: Server, certs: Certs, transport: str
) -> None:
    assert _export_logs(tls_exporters(transport, mtls_server, certs.ca, timeout=3)) == LogRecordExportResult.FAILURE
    wrong_client = tls_exporters(transport, mtls_server, certs.ca, client=certs.other_client, timeout=3)
    assert _export_logs(wrong_client) == LogRecordExportResult.FAILURE
    service = f"mtls-{transport}"
    results = _export_all(tls_exporters(transport, mtls_server, certs.ca, client=certs.client), service)
    assert results == (SpanExportResult.SUCCESS, LogRecordExportResult.SUCCESS, MetricExportResult.SUCCESS)


def test_mtls_leaves_the_app_open_to_browsers(mtls_server: Server) -> None:
    """Client certificates are for OTLP only: a browser brings none."""
    assert httpx.get(f"{mtls_server.api}/ready", verify=mtls_server.verify, timeout=5).status_code == 200


def _refused_start(tmp_path: Path, env: dict[str, str]) -> str:
    server = Server(tmp_path / "data", env=env)
    with pytest.raises(RuntimeError) as failed:
        server.start(timeout=60)
    output = str(failed.value)
    assert "exited with 1" in output and "Traceback" not in output, output
    assert list(server.data_dir.iterdir()) == [server.log_path], "refused before writing anything"
    return output


def test_startup_refuses_unusable_tls_files(tmp_path: Path, certs: Certs) -> None:
    missing = tmp_path / "missing.pem"
    cases = [
        ({"OTELHOUSE_TLS_CERT_FILE": str(missing)}, f"cannot read {missing}, named by OTELHOUSE_TLS_CERT_FILE"),
        ({"OTELHOUSE_TLS_KEY_FILE": str(certs.client.key)}, "does not belong to the certificate"),
        ({"OTELHOUSE_TLS_KEY_FILE": ""}, "OTELHOUSE_TLS_KEY_FILE is not set"),
        ({"OTELHOUSE_TLS_KEY_FILE": str(certs.server.cert)}, "holds no PEM private key"),
        ({"OTELHOUSE_TLS_KEY_FILE": str(tmp_path)}, f"cannot read {tmp_path}, named by OTELHOUSE_TLS_KEY_FILE"),
        ({"OTELHOUSE_TLS_CERT_FILE": str(certs.server.key)}, "holds no PEM certificate"),
        ({"OTELHOUSE_OTLP_CLIENT_CA_FILE": str(missing)}, "named by OTELHOUSE_OTLP_CLIENT_CA_FILE"),
    ]
    for number, (change, message) in enumerate(cases):
        output = _refused_start(tmp_path / str(number), {**_tls_env(certs), **change})
        assert message in output, output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: an unreadable one cannot be made")
def test_startup_refuses_an_unreadable_key_file(tmp_path: Path, certs: Certs) -> None:
    key = tmp_path / "server.key"
    key.write_bytes(certs.server.key.read_bytes())
    key.chmod(0)
    output = _refused_start(tmp_path, {**_tls_env(certs), "OTELHOUSE_TLS_KEY_FILE": str(key)})
    assert f"cannot read {key}, named by OTELHOUSE_TLS_KEY_FILE: Permission denied" in output


# --- TLS to PostgreSQL: libpq's sslmode in OTELHOUSE_DATABASE_URL -------------------------------------


@pytest.fixture(scope="module")
def tls_postgres(certs: Certs) -> Iterator[str]:
    """`postgresql://` URL (no sslmode) of a PostgreSQL server that takes TLS connections only, with the
    test CA's server certificate."""
    bin_dir, workdir = pg_bin(), pg_workdir()
    data, log, port = workdir / "data", workdir / "server.log", free_port()
    run_pg([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--locale=C", "-E", "UTF8"])
    (data / "pg_hba.conf").write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"
    )
    for name, source in (("server.crt", certs.server.cert), ("server.key", certs.server.key)):
        (data / name).write_bytes(source.read_bytes())
        (data / name).chmod(0o600)
    if os.geteuid() == 0:  # the server runs as `postgres` and must own its key
        for name in ("pg_hba.conf", "server.crt", "server.key"):
            shutil.chown(data / name, user="postgres", group="postgres")
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off"
    run_pg([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"], log)
    try:
        subprocess.run(
            as_pg_user([str(bin_dir / "createdb"), "-h", str(workdir), "-p", str(port), "-U", "postgres", "meta"]),
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/meta"
    finally:
        run_pg([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(workdir, ignore_errors=True)


async def _tables(url: str) -> int:
    async with MetaDB(url) as db, db.engine.connect() as conn:  # migrations run through the TLS connection
        ssl_on = (await conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))).scalar()
        assert ssl_on is True
        return int((await conn.execute(text("SELECT count(*) FROM pg_tables WHERE tablename = 'users'"))).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["verify-full", "verify-ca", "require"])
async def test_the_metadata_database_over_tls(tls_postgres: str, certs: Certs, mode: str) -> None:
    assert await _tables(f"{tls_postgres}?sslmode={mode}&sslrootcert={certs.ca}") == 1


@pytest.mark.postgres
async def test_the_metadata_database_refuses_a_server_signed_by_another_ca(tls_postgres: str, certs: Certs) -> None:
    for mode in ("verify-full", "verify-ca", "require"):  # with sslrootcert, require checks the CA as libpq does
        with pytest.raises(ssl.SSLCertVerificationError):
            await _tables(f"{tls_postgres}?sslmode={mode}&sslrootcert={certs.other_ca}")


@pytest.mark.postgres
async def test_plain_text_to_a_tls_only_postgresql_is_refused(tls_postgres: str) -> None:
    with pytest.raises(Exception, match="no encryption"):
        await _tables(f"{tls_postgres}?sslmode=disable")


def test_an_unknown_sslmode_is_refused_with_the_choices() -> None:
    with pytest.raises(TLSConfigError, match=r"sslmode=strict .* is not one of disable, allow, prefer, require"):
        MetaDB("postgresql+asyncpg://u@127.0.0.1/db?sslmode=strict")


# --- TLS to ClickHouse: https:// with the configured CA, verification always on ---------------------


@pytest.fixture(scope="module")
def https_clickhouse(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[tuple[FakeClickHouse, str]]:
    """The test ClickHouse server behind TLS with the test CA's certificate: (server, https URL)."""
    fake = FakeClickHouse(tmp_path_factory.mktemp("clickhouse")).start()
    try:
        with TlsProxy(certs.server, fake.port) as proxy:
            yield fake, proxy.url
    finally:
        fake.stop()


def _clickhouse_version(settings: Settings, fake: FakeClickHouse) -> str:
    """What the server's own ClickHouse clients do: connect with `clickhouse_tls_kwargs`, ask the version."""
    client = clickhouse_connect.get_client(
        dsn=settings.clickhouse_url,
        username=fake.admin_user,
        password=fake.admin_password,
        connect_timeout=5,
        query_retries=0,
        autogenerate_session_id=False,
        **clickhouse_tls_kwargs(settings),
    )
    try:
        return str(client.command("SELECT version()"))
    finally:
        client.close()


def test_clickhouse_over_https_trusts_the_configured_ca_only(
    https_clickhouse: tuple[FakeClickHouse, str], certs: Certs
) -> None:
    fake, url = https_clickhouse
    settings = Settings(clickhouse_url=url, clickhouse_ca_file=certs.ca)
    check_clickhouse_tls(settings)
    assert _clickhouse_version(settings, fake)
    for refused in (Settings(clickhouse_url=url), Settings(clickhouse_url=url, clickhouse_ca_file=certs.other_ca)):
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            _clickhouse_version(refused, fake)


def test_production_refuses_a_clickhouse_url_that_turns_verification_off(certs: Certs) -> None:
    for url in ("https://ch.example.com:8443/?verify=false", "https://ch.example.com:8443?verify=0"):
        with pytest.raises(TLSConfigError, match="production refuses"):
            check_clickhouse_tls(Settings(clickhouse_url=url, env="production"))
        check_clickhouse_tls(Settings(clickhouse_url=url))  # development: a warning only
    with pytest.raises(TLSConfigError, match="OTELHOUSE_CLICKHOUSE_URL is not https"):
        check_clickhouse_tls(Settings(clickhouse_url="http://ch.example.com:8123", clickhouse_ca_file=certs.ca))
    with pytest.raises(TLSConfigError, match="holds no PEM certificate"):
        check_clickhouse_tls(Settings(clickhouse_url="https://ch.example.com", clickhouse_ca_file=certs.server.key))


def test_libpq_tls_parameters_leave_the_url_and_become_asyncpg_ssl(certs: Certs) -> None:
    base = "postgresql+asyncpg://u:p@db.example.com:5432/meta"
    plain = MetaDB(f"{base}?sslmode=disable")
    assert "sslmode" not in plain.url.query and plain.connect_args == {"ssl": False}
    assert MetaDB(f"{base}?sslmode=prefer").connect_args == {"ssl": "prefer"}
    full = MetaDB(
        f"{base}?sslmode=verify-full&sslrootcert={certs.ca}&sslcert={certs.client.cert}&sslkey={certs.client.key}"
    )
    context = full.connect_args["ssl"]
    assert isinstance(context, ssl.SSLContext) and dict(full.url.query) == {}
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert MetaDB(base).connect_args == {}  # nothing asked: asyncpg's own default
    with pytest.raises(TLSConfigError, match=r"sslrootcert=/nowhere\.pem in OTELHOUSE_DATABASE_URL cannot be used"):
        MetaDB(f"{base}?sslmode=verify-full&sslrootcert=/nowhere.pem")


def test_serve_stores_into_clickhouse_over_https(
    tmp_path: Path, https_clickhouse: tuple[FakeClickHouse, str], certs: Certs
) -> None:
    fake, url = https_clickhouse
    env = {
        "OTELHOUSE_CLICKHOUSE_URL": url,
        "OTELHOUSE_CLICKHOUSE_CA_FILE": str(certs.ca),
        "OTELHOUSE_CLICKHOUSE_INGEST_USER": fake.admin_user,
        "OTELHOUSE_CLICKHOUSE_INGEST_PASSWORD": fake.admin_password,
        "OTELHOUSE_CLICKHOUSE_QUERY_USER": fake.admin_user,
        "OTELHOUSE_CLICKHOUSE_QUERY_PASSWORD": fake.admin_password,
    }
    server = Server(tmp_path / "data", env=env).start()
    try:
        body = encode(logs_request("over-https-clickhouse", good=3), PROTOBUF)
        posted = httpx.post(f"{server.otlp_http}/v1/logs", content=body, headers=headers(server.key), timeout=30)
        assert posted.status_code == 200
    finally:
        assert server.stop() == 0
    inserts = [s for s in fake.statements() if s.get("kind") == "InsertQuery" and "otel_logs" in str(s.get("tables"))]
    assert inserts, "the rows reached ClickHouse through the TLS endpoint"
    # Without the CA, the server's certificate is not trusted and the start stops.
    refused = Server(tmp_path / "refused", env={**env, "OTELHOUSE_CLICKHOUSE_CA_FILE": ""})
    with pytest.raises(RuntimeError) as failed:
        refused.start(timeout=60)
    assert f"cannot use ClickHouse at {url}: its TLS certificate is not trusted" in str(failed.value)
    assert "OTELHOUSE_CLICKHOUSE_CA_FILE" in str(failed.value) and "Traceback" not in str(failed.value)


def test_a_teams_own_https_connection_goes_out_over_verified_tls(https_clickhouse: tuple[FakeClickHouse, str]) -> None:
    """A team's connection (Team settings → Connections → Test) to an https URL on a port the driver
    would take for plain HTTP: it speaks TLS and checks the certificate (the test CA is not among the
    system's, so the check fails, saying why), rather than sending the password in plain text."""
    fake, url = https_clickhouse
    with pytest.raises(BadRequest, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(remote.test_connection(url, fake.admin_user, fake.admin_password))

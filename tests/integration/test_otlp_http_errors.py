"""OTLP/HTTP as the specification words it, against the real server: keys, status codes, google.rpc.Status
bodies in the request's content type, gzip (and gzip bombs), size limits and partial success."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from google.protobuf.json_format import Parse
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from support.otlp import (
    JSON,
    KEY,
    PROTOBUF,
    SHORT_TRACE_ID,
    ZERO_TRACE_ID,
    encode,
    gzip_bomb,
    headers,
    inserted_rows,
    keys_cli,
    log_after_2262,
    log_with_short_span_id,
    logs_request,
    memory_kib,
    metrics_request,
    spans_request,
    status_of,
    stored_rows,
    wait_until,
)
from support.server import Server

LIMIT = 1 << 20  # OTELHOUSE_MAX_REQUEST_BYTES of this module's server
INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNIMPLEMENTED, UNAUTHENTICATED = 3, 8, 12, 16
MEDIA = (PROTOBUF, JSON)
RESPONSES: dict[str, type[Message]] = {
    "traces": ExportTraceServiceResponse,
    "logs": ExportLogsServiceResponse,
    "metrics": ExportMetricsServiceResponse,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OTELHOUSE_MAX_REQUEST_BYTES": str(LIMIT), "OTELHOUSE_KEY_CACHE_SECONDS": "1"}
    running = Server(tmp_path_factory.mktemp("otlp-http"), env=env).start()
    try:
        yield running
    finally:
        running.stop()


def post(server: Server, signal: str, body: Any, hdrs: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.otlp_http}/v1/{signal}", content=body, headers=hdrs, timeout=30)


def export(server: Server, signal: str, message: Message, media: str, key: str | None) -> httpx.Response:
    return post(server, signal, encode(message, media), headers(key, media))


def ok_response(response: httpx.Response, signal: str, media: str) -> Message:
    """The export response of a 200, read in the content type it must have: the request's."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    result = RESPONSES[signal]()
    if media == PROTOBUF:
        result.ParseFromString(response.content)
    else:
        Parse(response.text, result)
    return result


def assert_error(response: httpx.Response, status: int, code: int, media: str, says: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == media
    error = status_of(response)
    assert error.code == code
    assert says in error.message.lower(), error.message


# --- keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("media", MEDIA)
def test_no_key_is_401_with_a_status_in_the_request_content_type(server: Server, media: str) -> None:
    response = export(server, "traces", spans_request("no-key"), media, None)
    assert_error(response, 401, UNAUTHENTICATED, media, "ingestion key")
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "authorization",
    ["ohk_" + "A" * 43, "Bearer ohk_" + "A" * 43, "not-a-key", "Bearer", "Basic dXNlcjpwYXNz", ""],
)
def test_a_wrong_key_is_401(server: Server, authorization: str) -> None:
    response = export(server, "logs", logs_request("wrong-key"), PROTOBUF, authorization)
    assert_error(response, 401, UNAUTHENTICATED, PROTOBUF, "ingestion key")


@pytest.mark.parametrize("form", ["{key}", "Bearer {key}", "bearer {key}"])
def test_the_key_is_accepted_bare_and_as_bearer(server: Server, form: str) -> None:
    response = export(server, "logs", logs_request("key-forms"), PROTOBUF, form.format(key=server.key))
    assert not ok_response(response, "logs", PROTOBUF).HasField("partial_success")


def test_a_revoked_key_is_refused_within_seconds(server: Server) -> None:
    created = keys_cli(server.data_dir, "create", "--name", "x")
    (secret,) = KEY.findall(created)
    assert export(server, "logs", logs_request("revoked"), PROTOBUF, secret).status_code == 200
    keys_cli(server.data_dir, "revoke", secret[:12])
    revoked_at = time.monotonic()
    wait_until(
        lambda: export(server, "logs", logs_request("revoked"), PROTOBUF, f"Bearer {secret}").status_code == 401,
        timeout=5,
        what="the revoked key to be refused",
    )
    assert time.monotonic() - revoked_at < 5
    assert export(server, "logs", logs_request("revoked"), PROTOBUF, server.key).status_code == 200  # others go on


# --- malformed data, media types, methods ---------------------------------------------------------------


def test_malformed_protobuf_is_400_with_a_protobuf_status(server: Server) -> None:
    response = post(server, "traces", b"\x0a\xff\xff\xff\xff\x0f", headers(server.key, PROTOBUF))
    assert_error(response, 400, INVALID_ARGUMENT, PROTOBUF, "not a valid otlp protobuf")


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"resourceSpans": 5}'])
def test_malformed_json_is_400_with_a_json_status(server: Server, body: bytes) -> None:
    response = post(server, "traces", body, headers(server.key, JSON))
    assert_error(response, 400, INVALID_ARGUMENT, JSON, "")
    assert response.json()["message"]


def test_a_json_id_of_the_wrong_length_is_400_naming_the_field(server: Server) -> None:
    """In OTLP/JSON an id is a hex string of fixed length; like the collector, a wrong one fails the request."""
    body = encode(spans_request("short-json", bad_trace_ids=(SHORT_TRACE_ID,)), JSON)
    assert_error(post(server, "traces", body, headers(server.key, JSON)), 400, INVALID_ARGUMENT, JSON, "traceid")


@pytest.mark.parametrize("content_type", ["text/plain", "application/grpc", "application/protobuf", ""])
def test_other_content_types_are_415(server: Server, content_type: str) -> None:
    hdrs = {"authorization": server.key, "content-type": content_type}
    response = post(server, "logs", encode(logs_request("media"), PROTOBUF), hdrs)
    assert_error(response, 415, INVALID_ARGUMENT, JSON, "content-type must be")


def test_content_type_parameters_are_ignored(server: Server) -> None:
    hdrs = headers(server.key, JSON)
    hdrs["content-type"] = "application/json; charset=utf-8"
    response = post(server, "logs", encode(logs_request("charset"), JSON), hdrs)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405_with_allow_post(server: Server, method: str) -> None:
    response = httpx.request(method, f"{server.otlp_http}/v1/traces", headers={"authorization": server.key})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert status_of(response).code == UNIMPLEMENTED


@pytest.mark.parametrize("path", ["/v1/profiles", "/v2/logs", "/", "/v1/logs/extra"])
def test_unknown_paths_are_404(server: Server, path: str) -> None:
    response = httpx.post(f"{server.otlp_http}{path}", content=b"", headers=headers(server.key))
    assert response.status_code == 404


# --- compression and size -----------------------------------------------------------------------------------


@pytest.mark.parametrize("media", MEDIA)
def test_a_gzip_body_is_accepted(server: Server, media: str) -> None:
    body = gzip.compress(encode(metrics_request("gzip"), media))
    response = post(server, "metrics", body, headers(server.key, media, **{"content-encoding": "gzip"}))
    assert not ok_response(response, "metrics", media).HasField("partial_success")


def test_a_gzip_bomb_is_413_without_inflating_it(server: Server) -> None:
    bomb = gzip_bomb(200 << 20)  # ~200 KB on the wire, 200 MiB inflated
    assert len(bomb) < LIMIT
    assert server.process is not None
    pid = server.process.pid
    before = memory_kib(pid)
    response = post(server, "logs", bomb, headers(server.key, PROTOBUF, **{"content-encoding": "gzip"}))
    assert_error(response, 413, RESOURCE_EXHAUSTED, PROTOBUF, "larger than the limit")
    after = memory_kib(pid)
    growth_kib = max(after["VmHWM"] - before["VmHWM"], after["VmRSS"] - before["VmRSS"])
    assert growth_kib * 1024 < 16 * LIMIT, (before, after)
    # and the server goes on serving
    assert export(server, "logs", logs_request("after-bomb"), PROTOBUF, server.key).status_code == 200


def test_a_small_gzip_that_inflates_past_the_limit_is_413(server: Server) -> None:
    bomb = gzip_bomb(2 * LIMIT)
    assert len(bomb) < 4096
    response = post(server, "traces", bomb, headers(server.key, JSON, **{"content-encoding": "gzip"}))
    assert_error(response, 413, RESOURCE_EXHAUSTED, JSON, "larger than the limit")


def test_a_body_over_the_limit_is_413(server: Server) -> None:
    response = post(server, "logs", bytes(LIMIT + 1), headers(server.key, PROTOBUF))
    assert_error(response, 413, RESOURCE_EXHAUSTED, PROTOBUF, "larger than the limit")


def test_a_streamed_body_over_the_limit_is_413(server: Server) -> None:
    """Without a Content-Length (chunked) the limit is enforced while reading."""

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield bytes(LIMIT // 2)

    response = post(server, "logs", chunks(), headers(server.key, PROTOBUF))
    assert_error(response, 413, RESOURCE_EXHAUSTED, PROTOBUF, "larger than the limit")


def test_every_member_of_a_multi_member_gzip_body_is_read(server: Server) -> None:
    """RFC 1952: a gzip body is a series of members (what concatenating gzip outputs gives, and what the
    collector's reader takes); the protobuf concatenation of two requests is one request holding both."""
    first, second = logs_request("gzip-member-1", good=2), logs_request("gzip-member-2", good=3)
    body = gzip.compress(encode(first, PROTOBUF)) + gzip.compress(encode(second, PROTOBUF))
    inserted = inserted_rows(server.api, "otel_logs")
    response = post(server, "logs", body, headers(server.key, PROTOBUF, **{"content-encoding": "gzip"}))
    assert response.status_code == 200
    assert inserted_rows(server.api, "otel_logs") - inserted == 5  # the 200 comes after the insert


@pytest.mark.parametrize(
    "body",
    [b"\x1f\x8b\x08\x00garbage-garbage-garbage", gzip.compress(b"x" * 1000)[:-12], b"plain, not gzip"],
    ids=["corrupt", "truncated", "not-gzip"],
)
def test_a_body_that_is_not_valid_gzip_is_400(server: Server, body: bytes) -> None:
    response = post(server, "logs", body, headers(server.key, PROTOBUF, **{"content-encoding": "gzip"}))
    assert_error(response, 400, INVALID_ARGUMENT, PROTOBUF, "compressed")


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_an_unsupported_content_encoding_is_415(server: Server, encoding: str) -> None:
    response = post(server, "logs", b"x", headers(server.key, JSON, **{"content-encoding": encoding}))
    assert_error(response, 415, INVALID_ARGUMENT, JSON, "content-encoding")


# --- partial success ------------------------------------------------------------------------------------------


class Partial(NamedTuple):
    """A request with one good and one bad record, and the JSON name of its rejected count."""

    signal: str
    media: str
    service: str
    request: Message
    rejected_json: str


PARTIAL = [
    Partial("traces", PROTOBUF, "pt-pb", spans_request("pt-pb", bad_trace_ids=(SHORT_TRACE_ID,)), "rejectedSpans"),
    Partial("traces", JSON, "pt-json", spans_request("pt-json", bad_trace_ids=(ZERO_TRACE_ID,)), "rejectedSpans"),
    Partial("logs", PROTOBUF, "pl-pb", logs_request("pl-pb", bad=(log_with_short_span_id(),)), "rejectedLogRecords"),
    Partial("logs", JSON, "pl-json", logs_request("pl-json", bad=(log_after_2262(),)), "rejectedLogRecords"),
    Partial("metrics", PROTOBUF, "pm-pb", metrics_request("pm-pb", without_data=1), "rejectedDataPoints"),
    Partial("metrics", JSON, "pm-json", metrics_request("pm-json", without_data=1), "rejectedDataPoints"),
]
TABLES = {"traces": "otel_traces", "logs": "otel_logs", "metrics": "otel_metrics_gauge"}


@pytest.fixture(scope="module")
def partial(server: Server) -> list[httpx.Response]:
    return [export(server, case.signal, case.request, case.media, server.key) for case in PARTIAL]


@pytest.mark.parametrize("index", range(len(PARTIAL)), ids=[case.service for case in PARTIAL])
def test_partial_success_counts_the_rejected_records_and_says_why(partial: list[httpx.Response], index: int) -> None:
    signal, media, _, _, json_name = PARTIAL[index]
    response = partial[index]
    result = ok_response(response, signal, media)
    assert result.HasField("partial_success")
    rejected = [value for field, value in result.partial_success.ListFields() if field.name.startswith("rejected")]
    assert rejected == [1]
    assert result.partial_success.error_message
    if media == JSON:  # the JSON mapping: camelCase names, int64 as a decimal string
        document = response.json()
        assert set(document) == {"partialSuccess"}
        assert document["partialSuccess"][json_name] == "1"
        assert document["partialSuccess"]["errorMessage"] == result.partial_success.error_message


@pytest.mark.parametrize("media", MEDIA)
@pytest.mark.parametrize("signal", ["traces", "logs", "metrics"])
def test_an_empty_request_is_200_without_partial_success(server: Server, signal: str, media: str) -> None:
    response = post(server, signal, b"" if media == PROTOBUF else b"{}", headers(server.key, media))
    assert not ok_response(response, signal, media).HasField("partial_success")
    assert response.content == (b"" if media == PROTOBUF else b"{}")


def test_a_request_with_only_bad_records_is_200_with_all_rejected(server: Server) -> None:
    request = spans_request("all-bad", good=0, bad_trace_ids=(SHORT_TRACE_ID, b"", ZERO_TRACE_ID))
    result = ok_response(export(server, "traces", request, PROTOBUF, server.key), "traces", PROTOBUF)
    assert result.partial_success.rejected_spans == 3


# Last in the module: it stops the shared server to read its ClickHouse.
def test_the_good_records_of_partial_requests_are_stored(server: Server, partial: list[httpx.Response]) -> None:
    assert all(response.status_code == 200 for response in partial)
    data_dir: Path = server.data_dir
    assert server.stop() == 0, server.output()
    names = {"otel_traces": "SpanName", "otel_logs": "Body", "otel_metrics_gauge": "MetricName"}
    sql = " UNION ALL ".join(
        f"SELECT '{table}' AS t, ServiceName AS s, {name} AS name, count() AS n FROM otel.{table} GROUP BY s, name"
        for table, name in names.items()
    )
    counts = {(row["t"], row["s"], row["name"]): int(row["n"]) for row in stored_rows(data_dir, sql)}
    for case in PARTIAL:  # exactly the good record of each request, and nothing of the bad one
        good = {"traces": "span-0", "logs": "line 0", "metrics": "gauge-0"}[case.signal]
        stored = {key: n for key, n in counts.items() if key[1] == case.service}
        assert stored == {(TABLES[case.signal], case.service, good): 1}, case.service
    assert not [key for key in counts if key[1] == "all-bad"]

"""End to end: a real `otelhouse serve`, the real OpenTelemetry SDK sending error logs over OTLP/HTTP,
an alert that fires and posts to a local webhook, then resolves once the errors stop.

The server runs with the test-only OTELHOUSE_TEST_ALERT_MINUTE_SECONDS=5, so the 1m alert is evaluated
on 5-second windows of real time (the logs keep their real timestamps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

from support.api import PASSWORD
from support.receiver import Receiver, http_receiver
from support.sdk import resource
from support.server import Server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as found:
        yield found


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("alerts-e2e"), env={"OTELHOUSE_TEST_ALERT_MINUTE_SECONDS": "5"})
    server.start()
    yield server
    server.stop()


def _send_errors_until(server: Server, stop: threading.Event) -> None:
    exporter = OTLPLogExporter(
        endpoint=f"{server.otlp_http}/v1/logs", headers={"authorization": f"Bearer {server.key}"}, timeout=10
    )
    provider = LoggerProvider(resource=resource("checkout"))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("alerts.e2e")
    try:
        while not stop.is_set():
            for n in range(3):
                logger.emit(body=f"payment failed #{n}", severity_text="ERROR", severity_number=SeverityNumber.ERROR)
            stop.wait(0.5)
    finally:
        provider.shutdown()


def test_error_logs_fire_the_alert_and_it_resolves_when_they_stop(server: Server, receiver: Receiver) -> None:
    with httpx.Client(base_url=server.api, timeout=10) as admin:
        registered = admin.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        logs = next(source["id"] for source in admin.get("/api/team/sources").json() if source["name"] == "Logs")
        hook = admin.post("/api/team/webhooks", json={"name": "ops", "url": receiver.url("/e2e")})
        assert hook.status_code == 201, hook.text
        alert = admin.post(
            "/api/team/alerts",
            json={
                "name": "Checkout errors",
                "kind": "search",
                "source_id": logs,
                "query": "SeverityText:ERROR ServiceName:checkout",
                "threshold_type": "above",
                "threshold": 0,
                "interval": "1m",
                "channels": [hook.json()["id"]],
                "message": "{{alert.value}} errors",
            },
        )
        assert alert.status_code == 201, alert.text
        alert_id = alert.json()["id"]

        stop = threading.Event()
        sender = threading.Thread(target=_send_errors_until, args=(server, stop), daemon=True)
        sender.start()
        try:
            (firing,) = receiver.wait_for("/e2e", 1, timeout=60)
        finally:
            stop.set()
            sender.join(30)
        assert firing.json()["alert"]["status"] == "firing", firing.json()
        assert firing.json()["alert"]["value"] >= 1 and firing.json()["alert"]["message"].endswith(" errors")
        assert admin.get(f"/api/team/alerts/{alert_id}").json()["status"]["state"] in ("alert", "ok")

        posts = receiver.wait_for("/e2e", 2, timeout=60)
        assert [post.json()["alert"]["status"] for post in posts] == ["firing", "resolved"]
        assert posts[1].json()["alert"]["value"] == 0
        time.sleep(1)  # the resolved window's history row has its notification outcome by now
        status = admin.get(f"/api/team/alerts/{alert_id}").json()["status"]
        assert (status["state"], status["last_error"]) == ("ok", None)
        history = admin.get(f"/api/team/alerts/{alert_id}/history").json()["items"]
        changes = [(row["state"], row["notification"]) for row in reversed(history) if row["notification"] != "none"]
        assert changes == [("alert", "sent"), ("ok", "sent")]

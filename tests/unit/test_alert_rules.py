"""The pure parts of alerting: windows, thresholds, state steps, metric filters and templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from otelhouse.alerts.rules import GroupState, breaches, metric_filters, step, threshold_text
from otelhouse.alerts.template import render_body, render_text
from otelhouse.alerts.windows import due_windows, settle_seconds, window_seconds
from otelhouse.errors import BadRequest
from otelhouse.settings import Settings

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_windows_are_aligned_to_the_interval_and_due_after_settling() -> None:
    size = window_seconds("5m")
    assert (size, settle_seconds(size)) == (300, 30)
    windows, skipped = due_windows(None, NOON + timedelta(minutes=7), size)
    assert [(w.start, w.end) for w in windows] == [(NOON, NOON + timedelta(minutes=5))] and skipped == 0
    # Not yet settled: the window that ended 10 s ago waits.
    assert due_windows(NOON, NOON + timedelta(seconds=10), 60) == ([], 0)
    assert [w.end for w in due_windows(NOON - timedelta(minutes=3), NOON + timedelta(seconds=10), 60)[0]] == [
        NOON - timedelta(minutes=2),
        NOON - timedelta(minutes=1),
        NOON,
    ]
    windows, skipped = due_windows(NOON, NOON + timedelta(hours=1, seconds=15), 60, max_catch_up=10)
    assert (len(windows), skipped, windows[-1].end) == (10, 50, NOON + timedelta(hours=1))
    assert window_seconds("1d") == 86_400 and window_seconds("1m", minute_seconds=5) == 5


@pytest.mark.parametrize(
    ("definition", "value", "expected"),
    [
        ({"threshold_type": "above", "threshold": 10}, 10, False),
        ({"threshold_type": "above", "threshold": 10}, 10.5, True),
        ({"threshold_type": "below", "threshold": 1}, 0, True),
        ({"threshold_type": "equal", "threshold": 0}, 0, True),
        ({"threshold_type": "outside_range", "range": {"low": 1, "high": 5}}, 5, False),
        ({"threshold_type": "outside_range", "range": {"low": 1, "high": 5}}, 0.5, True),
        ({"threshold_type": "inside_range", "range": {"low": 1, "high": 5}}, 1, True),
    ],
)
def test_thresholds(definition: dict[str, object], value: float, expected: bool) -> None:
    assert breaches(definition, value) is expected


def test_threshold_text() -> None:
    assert threshold_text({"threshold_type": "equal", "threshold": 2.0}) == "equal to 2"
    assert threshold_text({"threshold_type": "inside_range", "range": {"low": 0.5, "high": 3}}) == "inside 0.5 to 3"


def test_state_steps_fire_after_n_windows_and_resolve_at_once() -> None:
    state, seen = GroupState(), []
    for breached in (True, True, False, True, True, True, True, False):
        state, transition = step(state, breached, 3)
        seen.append(transition)
    assert seen == [None, None, None, None, None, "fired", None, "resolved"]


def test_metric_filters() -> None:
    assert metric_filters('service.name:api AND http.route:"/a b" k8s.pod/name=x') == {
        "service.name": "api",
        "http.route": "/a b",
        "k8s.pod/name": "x",
    }
    with pytest.raises(BadRequest, match="key:value pairs"):
        metric_filters("just words")
    with pytest.raises(BadRequest, match="filtered twice"):
        metric_filters("a:1 a:2")


def test_templates_fill_placeholders_and_never_run_code() -> None:
    fields = {"alert.name": 'Say "hi"', "alert.value": 5.0, "alert.group": "api"}
    assert render_text("{{alert.name}}: {{ value }} in {{alert.group}} {{unknown}}", fields) == (
        'Say "hi": 5 in api {{unknown}}'
    )
    assert render_text("{{alert.name.__class__}} {{7*7}} {% for x in y %}", fields) == (
        "{{alert.name.__class__}} {{7*7}} {% for x in y %}"
    )
    body, content_type = render_body('{"text": "{{alert.name}} is {{alert.value}}", "v": "{{alert.value}}"}', fields)
    assert content_type == "application/json"
    assert json.loads(body) == {"text": 'Say "hi" is 5', "v": 5.0}  # still JSON; a lone placeholder keeps its type
    body, content_type = render_body("value={{alert.value}}", fields)
    assert (body, content_type) == (b"value=5", "text/plain; charset=utf-8")


def test_the_test_clock_setting_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="tests only"):
        Settings(env="production", test_alert_minute_seconds=5)  # type: ignore[call-arg]
    assert Settings(test_alert_minute_seconds=5).test_alert_minute_seconds == 5  # type: ignore[call-arg]

"""Thresholds and the state of one alert group from window to window (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from otelhouse.errors import BadRequest

State = Literal["ok", "alert"]
Transition = Literal["fired", "resolved"]


def breaches(definition: dict[str, Any], value: float) -> bool:
    """Whether `value` crosses the alert's threshold. `above` and `below` are strict; a range includes
    its bounds (`inside_range` breaches on low <= value <= high, `outside_range` outside of that)."""
    kind = definition["threshold_type"]
    if kind in ("outside_range", "inside_range"):
        bounds = definition["range"]
        inside = float(bounds["low"]) <= value <= float(bounds["high"])
        return inside if kind == "inside_range" else not inside
    threshold = float(definition["threshold"])
    if kind == "above":
        return value > threshold
    if kind == "below":
        return value < threshold
    return value == threshold


def threshold_text(definition: dict[str, Any]) -> str:
    """The condition in words: "above 10", "outside 0 to 5"."""
    kind = definition["threshold_type"]
    if kind in ("outside_range", "inside_range"):
        bounds = definition["range"]
        word = "outside" if kind == "outside_range" else "inside"
        return f"{word} {_number(bounds['low'])} to {_number(bounds['high'])}"
    word = {"above": "above", "below": "below", "equal": "equal to"}[kind]
    return f"{word} {_number(definition['threshold'])}"


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:g}"


@dataclass(frozen=True, slots=True)
class GroupState:
    state: State = "ok"
    breaches: int = 0


def step(previous: GroupState, breached: bool, windows: int) -> tuple[GroupState, Transition | None]:
    """The group's state after one more window: it fires after `windows` consecutive breaching windows
    and resolves at the first window that does not breach."""
    count = previous.breaches + 1 if breached else 0
    if previous.state == "ok" and count >= windows:
        return GroupState("alert", count), "fired"
    if previous.state == "alert" and not breached:
        return GroupState("ok", 0), "resolved"
    return GroupState(previous.state, count), None


# key:value, key:"a value", key=value; AND between pairs is allowed (the dashboards' metric filters).
_FILTER = re.compile(r'\s*([A-Za-z_][\w.\-/]*)\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')


def metric_filters(text: str) -> dict[str, str]:
    """The attribute filters of a metric series (`key:value` pairs that must all match)."""
    filters: dict[str, str] = {}
    rest = text.strip()
    while rest:
        if re.match(r"AND\s", rest, re.IGNORECASE):
            rest = rest[3:].lstrip()
            continue
        match = _FILTER.match(rest)
        if match is None:
            word = rest.split()[0]
            raise BadRequest(
                f"a metric series filters with key:value pairs (all must match), like service.name:api, not {word!r}",
                field="series.where",
            )
        key = match.group(1)
        value = re.sub(r"\\(.)", r"\1", match.group(2)) if match.group(2) is not None else match.group(3)
        if filters.get(key, value) != value:
            raise BadRequest(f"{key} is filtered twice: a point has one value for it", field="series.where")
        filters[key] = value
        rest = rest[match.end() :].lstrip()
    return filters

"""Reading the deployment files as Docker, Compose and Helm read them, for tests/deploy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from otelhouse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
CHART = ROOT / "deploy" / "helm" / "otelhouse"
BUILD_STEPS = ROOT / "deploy" / "build-steps.sh"
CI_SCRIPT = ROOT / ".ci" / "docker-build-steps.sh"
SETTING_NAMES = frozenset(f"OTELHOUSE_{name.upper()}" for name in Settings.model_fields)


def dockerfile_instructions(text: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with line continuations joined and comments left out."""
    source = DOCKERFILE.read_text() if text is None else text
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\s*\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def image_env() -> dict[str, str]:
    """The ENV lines of the Dockerfile's last stage."""
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            env = {}
        elif keyword == "ENV":
            name, _, value = arguments.partition("=")
            env[name] = value
    return env


def exec_form(arguments: str) -> list[str]:
    """`["a", "b"]` of CMD, ENTRYPOINT, HEALTHCHECK … CMD."""
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    return [str(part) for part in value]


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_]+)(?::(?P<op>[-?])(?P<rest>[^}]*))?\}")


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, as `docker compose` fills them."""

    def fill(match: re.Match[str]) -> str:
        name, op, rest = match["name"], match["op"], match["rest"]
        if given.get(name):
            return given[name]
        if op == "-":
            return str(rest)
        if op == "?":
            raise ValueError(f"{name}: {rest}")
        return ""

    return _VARIABLE.sub(fill, value)


def render_chart(values: dict[str, Any], name: str = "obs") -> list[dict[str, Any]]:
    """The chart's manifests as `helm template` makes them (Helm's own Go code, through helm-python-sdk)."""
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name=name, namespace="observability")
    manifests: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".yaml"):
            manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


def minimal_values(**extra: Any) -> dict[str, Any]:
    """The values an install must give: where ClickHouse is and the URL people open."""
    values: dict[str, Any] = {
        "publicUrl": "https://otel.example.com",
        "clickhouse": {"url": "https://abc123.eu-west-1.aws.clickhouse.cloud:8443"},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return values

"""The Dockerfile: a UI build stage, a slim non-root runtime, the right ports, and steps CI runs too."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deploy_files import (
    BUILD_STEPS,
    CI_SCRIPT,
    DOCKERFILE,
    ROOT,
    SETTING_NAMES,
    dockerfile_instructions,
    exec_form,
    image_env,
)


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, arguments))
    return found


def last(stage: list[tuple[str, str]], keyword: str) -> str:
    values = [arguments for found, arguments in stage if found == keyword]
    assert values, f"the runtime stage has no {keyword}"
    return values[-1]


def test_two_stages_build_the_ui_with_node_then_run_on_slim_python() -> None:
    ui, runtime = stages()
    assert re.fullmatch(r"node:20\S* AS ui", ui[0][1])
    assert runtime[0][1] == "python:3.11-slim AS runtime"
    assert ("RUN", "sh deploy/build-steps.sh ui") in ui
    # The runtime takes only the built UI from the first stage, not node or node_modules.
    copies_from_ui = [arguments for keyword, arguments in runtime if keyword == "COPY" and "--from=ui" in arguments]
    assert copies_from_ui == ["--from=ui /src/src/otelhouse/web/static src/otelhouse/web/static"]


def test_the_runtime_runs_otelhouse_serve_as_an_unprivileged_user() -> None:
    runtime = stages()[-1]
    assert last(runtime, "USER") == "10001:10001"
    assert any("--uid 10001" in arguments for keyword, arguments in runtime if keyword == "RUN")
    assert exec_form(last(runtime, "ENTRYPOINT")) == ["otelhouse"]
    assert exec_form(last(runtime, "CMD")) == ["serve"]
    assert exec_form(last(runtime, "VOLUME")) == ["/data"]


def test_exposes_exactly_the_otlp_ports_and_the_web_port() -> None:
    exposed = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "EXPOSE"]
    assert exposed == ["4317 4318 8080"]


def test_healthcheck_asks_ready_on_the_api_port() -> None:
    healthcheck = last(stages()[-1], "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options and "--start-period=" in options
    argv = exec_form(command)
    assert argv[:2] == ["python", "-c"]
    assert "/ready" in argv[2] and "OTELHOUSE_API_PORT" in argv[2] and "OTELHOUSE_BASE_PATH" in argv[2]


def test_image_environment_is_production_on_every_interface_with_a_secret_file() -> None:
    env = image_env()
    assert set(env) - {"PYTHONUNBUFFERED"} <= SETTING_NAMES, (
        "the Dockerfile sets an OTELHOUSE_* name that is no setting"
    )
    assert env["OTELHOUSE_ENV"] == "production"
    assert env["OTELHOUSE_DATA_DIR"] == "/data"
    for host in ("OTELHOUSE_API_HOST", "OTELHOUSE_OTLP_HTTP_HOST", "OTELHOUSE_OTLP_GRPC_HOST"):
        assert env[host] == "0.0.0.0"
    assert env["OTELHOUSE_SESSION_SECRET_FILE"] == "/run/secrets/session_secret"
    assert not any("PASSWORD" in name and not name.endswith("_FILE") for name in env)


def test_every_run_step_is_a_build_step_that_the_ci_script_runs_outside_docker() -> None:
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    steps = [re.match(r"sh deploy/build-steps\.sh (\S+)", run) for run in runs]
    # The only other RUN makes the unprivileged user and its /data.
    others = [run for run, step in zip(runs, steps, strict=True) if step is None]
    assert len(others) == 1 and others[0].startswith("groupadd ")
    assert [step[1] for step in steps if step] == ["ui-deps", "ui", "install"]
    script = CI_SCRIPT.read_text()
    # The CI script takes the step list from the Dockerfile itself, so the two cannot drift apart.
    assert "deploy/build-steps.sh" in script and '"$root/Dockerfile"' in script
    steps_text = BUILD_STEPS.read_text()
    for step in ("ui-deps)", "ui)", "install)"):
        assert step in steps_text


def test_build_steps_refuse_an_unknown_step_and_an_install_without_the_ui(tmp_path: Path) -> None:
    unknown = subprocess.run(["sh", str(BUILD_STEPS), "deploy"], cwd=tmp_path, capture_output=True, text=True)
    assert unknown.returncode == 2 and "unknown build step: deploy" in unknown.stderr
    no_ui = subprocess.run(["sh", str(BUILD_STEPS), "install", "python3"], cwd=tmp_path, capture_output=True, text=True)
    assert no_ui.returncode == 1 and "build the UI first" in no_ui.stderr


def test_dockerignore_keeps_local_builds_caches_and_secrets_out_of_the_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "ui/node_modules", "src/otelhouse/web/static", "deploy/secrets", "**/__pycache__"} <= ignored
    # What the Dockerfile copies must not be ignored.
    copied = {
        part
        for keyword, arguments in dockerfile_instructions()
        if keyword == "COPY" and "--from" not in arguments
        for part in arguments.split()[:-1]
    }
    assert copied <= {
        "deploy/build-steps.sh",
        "ui/package.json",
        "ui/package-lock.json",
        "ui",
        "pyproject.toml",
        "README.md",
        "src",
    }
    assert not copied & ignored
    for path in copied:
        assert (ROOT / path).exists(), f"the Dockerfile copies {path}, which does not exist"


def test_the_dockerfile_parser_sees_continued_lines_as_one_instruction() -> None:
    parsed = dockerfile_instructions("FROM a\n# note\nRUN one \\\n    && two\nUSER 1\n")
    assert parsed == [("FROM", "a"), ("RUN", "one && two"), ("USER", "1")]
    assert DOCKERFILE.read_text().startswith("# syntax=docker/dockerfile:1")

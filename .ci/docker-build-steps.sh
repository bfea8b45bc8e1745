#!/usr/bin/env bash
# The Dockerfile's build, outside Docker (CI has no Docker): copies the files the Dockerfile copies into
# a temporary directory, runs its `deploy/build-steps.sh` steps in the order the Dockerfile lists them
# (the UI with npm, then a pip install of the source tree into a fresh virtual environment), and starts
# the installed `otelhouse serve` with the image's ENV lines until /ready answers.
#
# One difference, for speed: the image installs the dependencies from PyPI; here they come from the
# project's .venv (linked into the fresh environment with a .pth file) and `pip check` verifies that they
# satisfy the package's requirements. otelhouse itself is built and installed from the copied sources.
#
# Usage: .ci/docker-build-steps.sh   (tests/deploy/test_build_steps.py runs it in `make test`)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv_python="${OTELHOUSE_VENV_PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/otelhouse-image.XXXXXX")"
server_pid=""
started=$SECONDS

cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf '[docker-build-steps %3ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() { printf 'docker-build-steps: %s\n' "$*" >&2; exit 1; }

test -x "$venv_python" || fail "no $venv_python: run \`make install\` first"

# The files the Dockerfile copies, less what .dockerignore leaves out of the build context.
say "copying the build context to $work/src"
mkdir -p "$work/src"
tar -C "$root" \
    --exclude=node_modules --exclude=__pycache__ --exclude='*.pyc' --exclude=src/otelhouse/web/static \
    -cf - deploy/build-steps.sh pyproject.toml README.md src ui | tar -C "$work/src" -xf -

say "fresh virtual environment (dependencies from $(dirname "$(dirname "$venv_python")"))"
base_python="$("$venv_python" -c 'import sys; print(sys._base_executable)')"
"$base_python" -m venv "$work/venv"
deps_dirs="$("$venv_python" -c 'import sysconfig; print(sysconfig.get_path("purelib")); print(sysconfig.get_path("platlib"))' | sort -u)"
new_site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
printf '%s\n' "$deps_dirs" >"$new_site/otelhouse-ci-deps.pth"

# The steps, in the Dockerfile's order: `RUN sh deploy/build-steps.sh STEP [ARG]`.
mapfile -t steps < <(sed -n 's/^RUN sh deploy\/build-steps\.sh \([a-z-]*\).*/\1/p' "$root/Dockerfile")
test "${#steps[@]}" -gt 0 || fail "the Dockerfile runs no deploy/build-steps.sh step"
for step in "${steps[@]}"; do
    say "build step: $step"
    case "$step" in
        install) (cd "$work/src" && sh deploy/build-steps.sh install "$work/venv/bin/python" \
            --quiet --no-deps --no-build-isolation) ;;
        *) (cd "$work/src" && sh deploy/build-steps.sh "$step" >"$work/$step.log" 2>&1) \
            || { cat "$work/$step.log" >&2; fail "build step $step failed"; } ;;
    esac
done
"$work/venv/bin/python" -m pip check --disable-pip-version-check >/dev/null \
    || fail "the installed dependencies do not satisfy otelhouse's requirements: $("$work/venv/bin/python" -m pip check)"

say "installed: checking the package and the command"
installed="$("$work/venv/bin/python" -c 'import otelhouse, os; print(os.path.dirname(otelhouse.__file__))')"
case "$installed" in "$work/venv/"*) ;; *) fail "otelhouse was imported from $installed, not the fresh install" ;; esac
test -f "$installed/web/static/index.html" || fail "the installed package has no web UI"
test -f "$installed/meta/migrations/env.py" || fail "the installed package has no migrations"
"$work/venv/bin/otelhouse" --help >/dev/null
test "$("$work/venv/bin/otelhouse" secret | tr -d '\n' | wc -c)" -eq 64 || fail "otelhouse secret did not print 64 characters"

# The image's ENV lines, with its paths moved into the work directory, and free ports; plus what an
# operator must add for production's checks to pass (`docker run -e …`): the retention chosen on purpose,
# and TLS (here: said to be terminated by a proxy in front).
say "starting the image's command (ENTRYPOINT + CMD) with the image's ENV"
mkdir -p "$work/secrets"
mkdir -m 700 "$work/data"  # as the image makes /data: `otelhouse doctor` refuses a data dir others can read
"$work/venv/bin/otelhouse" secret >"$work/secrets/session_secret"
chmod 600 "$work/secrets/session_secret"
mapfile -t image_env < <(sed -n 's/^ENV \([A-Z_]*=.*\)$/\1/p' "$root/Dockerfile" \
    | sed -e "s#=/data\$#=$work/data#" -e "s#=/run/secrets/#=$work/secrets/#")
read -r api_port http_port grpc_port < <("$work/venv/bin/python" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("0.0.0.0", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks: s.close()')
(cd "$work/data" && exec env -i PATH="$work/venv/bin:/usr/bin:/bin" HOME="$work/data" "${image_env[@]}" \
    OTELHOUSE_API_PORT="$api_port" OTELHOUSE_OTLP_HTTP_PORT="$http_port" OTELHOUSE_OTLP_GRPC_PORT="$grpc_port" \
    OTELHOUSE_DECODE_WORKERS=0 \
    OTELHOUSE_TLS_TERMINATED_BY_PROXY=true \
    OTELHOUSE_TTL_LOGS=30d OTELHOUSE_TTL_TRACES=30d OTELHOUSE_TTL_METRICS=30d OTELHOUSE_TTL_SESSIONS=30d \
    otelhouse serve >"$work/serve.log" 2>&1) &
server_pid=$!

"$work/venv/bin/python" - "$api_port" "$server_pid" <<'PY' || { cat "$work/serve.log" >&2; fail "the server did not become ready"; }
import os, sys, time, urllib.error, urllib.request

port, pid = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"
deadline = time.monotonic() + 90
while True:
    try:
        with urllib.request.urlopen(f"{base}/ready", timeout=3) as answer:
            if answer.status == 200:
                break
    except (urllib.error.URLError, OSError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("otelhouse serve exited before it was ready")
    if time.monotonic() > deadline:
        sys.exit("/ready did not answer 200 within 90 s")
    time.sleep(0.5)
with urllib.request.urlopen(f"{base}/health", timeout=3) as answer:
    assert answer.status == 200, answer.status
with urllib.request.urlopen(f"{base}/", timeout=3) as answer:
    page = answer.read().decode()
    assert answer.status == 200 and "<script" in page, "the web UI's page was not served"
PY
# The banner follows /ready by a moment (the production checks of the listeners run in between).
for _ in $(seq 50); do grep -q "0.0.0.0" "$work/serve.log" && break; sleep 0.2; done
grep -q "0.0.0.0" "$work/serve.log" || { cat "$work/serve.log" >&2; fail "the server did not bind 0.0.0.0"; }

say "the image's HEALTHCHECK command"
mapfile -t healthcheck < <("$work/venv/bin/python" - "$root/Dockerfile" <<'PY'
import json, re, sys

text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK "))
print("\n".join(json.loads(line.split(" CMD ", 1)[1])))
PY
)
env -i PATH="$work/venv/bin:/usr/bin:/bin" OTELHOUSE_API_PORT="$api_port" "${healthcheck[@]}" \
    || fail "the HEALTHCHECK command failed against a ready server"

say "stopping the server (SIGTERM)"
kill -TERM "$server_pid"
stopped=0
for _ in $(seq 1 60); do
    kill -0 "$server_pid" 2>/dev/null || { stopped=1; break; }
    sleep 0.5
done
test "$stopped" = 1 || fail "otelhouse serve did not stop within 30 s of SIGTERM"
wait "$server_pid" && code=0 || code=$?
server_pid=""
test "$code" = 0 || { cat "$work/serve.log" >&2; fail "otelhouse serve exited with $code after SIGTERM"; }
say "ok: the image's build steps ran, and the installed otelhouse served /ready, /health and the UI"

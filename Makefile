# The two commands: `make run` and `make test`. Everything they need is installed here.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_BIN ?= $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

.PHONY: run test install lint typecheck unit bench test-slow clean ui ui-deps ui-test chromium

# The web UI (ui/): npm installs its locked dependencies when package-lock.json changes, and the build
# goes to src/otelhouse/web/static/, where the app serves it from.
UI_STAMP := ui/node_modules/.installed
# apt-get as root, else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(UI_STAMP): ui/package-lock.json
	npm ci --prefix ui --no-audit --no-fund
	touch $(UI_STAMP)

ui-deps: $(UI_STAMP)

ui: ui-deps
	npm run build --prefix ui

ui-test: ui-deps
	npm test --prefix ui

# The end-to-end tests drive Debian's Chromium (Playwright never downloads a browser here).
chromium:
	test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

run: install ui
	$(VENV)/bin/otelhouse serve

lint: install ui-deps
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	npm run lint --prefix ui

# Lint, then the UI's unit tests, then pytest (whose tests/e2e drive the built UI in Chromium).
test: lint ui-test ui chromium
	PG_BIN=$(PG_BIN) $(PY) -m pytest -q

test-slow: install
	PG_BIN=$(PG_BIN) $(PY) -m pytest -q -m slow
	OTELHOUSE_FUZZ_EXAMPLES=200 $(PY) -m pytest -q tests/integration/test_openapi_fuzz.py

bench: install
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) otelhouse-data .pytest_cache .mypy_cache .ruff_cache ui/node_modules src/otelhouse/web/static

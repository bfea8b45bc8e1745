# The two commands: `make run` and `make test`. Everything they need is installed here.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_BIN ?= $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

.PHONY: run test install lint typecheck unit bench test-slow clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/otelhouse serve

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: lint
	PG_BIN=$(PG_BIN) $(PY) -m pytest -q

test-slow: install
	PG_BIN=$(PG_BIN) $(PY) -m pytest -q -m slow
	OTELHOUSE_FUZZ_EXAMPLES=200 $(PY) -m pytest -q tests/integration/test_openapi_fuzz.py

bench: install
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) otelhouse-data .pytest_cache .mypy_cache .ruff_cache

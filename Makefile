# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Install, migrate the embedded SQLite database, seed the default department and the demo
# data (once), and serve GraphQL on http://$(HOST):$(PORT)/graphql.
run: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/unicrm serve --demo --host $(HOST) --port $(PORT)

lint: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Linters, then the whole suite on SQLite and PostgreSQL across two workers. Any non-zero
# pytest exit fails the target, including 5 (no tests collected).
test: lint
	$(BIN)/pytest -n 2 -p xdist

# The benchmark (never run by CI): a PostgreSQL data set of $(CUSTOMERS) customers (kept when it
# is already there), then UniCRM and the asyncpg baseline over HTTP with wrk; the report lands
# in bench/results/. BENCH_ARGS are passed to bench.run (--workers 1 2 --rounds 3 ...).
CUSTOMERS ?= 100000
BENCH_ARGS ?= --profile
bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[bench]'
	command -v wrk >/dev/null || apt-get install -y -q wrk
	$(BIN)/python -m bench.generate --customers $(CUSTOMERS) --keep
	$(BIN)/python -m bench.run $(BENCH_ARGS)

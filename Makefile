# One task runner for people and CI. `make serve` and `make test` each build what they need
# on a fresh machine; the environment passes through untouched (HEDGEROW_* settings apply).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
NODE_STAMP := tests/node/node_modules/.installed
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
CHROMIUM := /usr/bin/chromium

.PHONY: serve test lint typecheck check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml sdk/python/pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]' -e sdk/python
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]' -e sdk/python
	touch $(BENCH_STAMP)

$(NODE_STAMP): tests/node/package.json
	cd tests/node && npm install --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CHROMIUM):
	apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver

serve: $(STAMP)
	exec $(BIN)/hedgerow serve

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/ruff check src tests bench sdk/python
	$(BIN)/ruff format --check src tests bench sdk/python
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench sdk/python
	$(BIN)/ruff format --check src tests bench sdk/python

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) tests/node/node_modules hedgerow-data

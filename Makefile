# The two commands of the README: `make dev` and `make test`. Everything else is a detail of those.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: dev test bench chromium validate sync clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make dev: install, seed the example data on first run, start the Dagster UI (:3000) and the dashboard viewer (:8050)
dev: $(STAMP)
	$(BIN)/qs-platform dev

## make test: install (incl. Chromium for the browser tests) and run the whole suite
test: $(STAMP) chromium
	$(BIN)/ruff check . && $(BIN)/ruff format --check .  # lint and format (pyproject's [tool.ruff])
	QS_LAKE_URL=$$(mktemp -d) $(BIN)/dg check defs  # the code location loads, as `dg dev` and the daemon load it
	$(BIN)/python -m pytest -n 2 --dist loadfile  # two workers: the 2-core budget is 10 minutes

## make bench: performance benchmarks (not part of the tests)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Debian's Chromium for headless browser tests (no browser download: this machine has no internet).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed and no root: browser tests will be skipped"; fi; \
	fi

validate: $(STAMP)
	$(BIN)/qs-platform validate

sync: $(STAMP)
	$(BIN)/qs-platform sync

clean:
	rm -rf .lake .dagster_home

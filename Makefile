# Raccoon developer tasks. `make test` is what CI runs (.ci/run).
#
#   make run        set everything up from nothing, then run the demo
#   make test       lint, format check, type check, tests
#   make lint       ruff check + ruff format --check
#   make typecheck  mypy
#   make bench      every bench/*.py script
#   make clean      caches and build output (distclean: also the virtualenv)
#
# Variables: PYTHON (the interpreter that creates .venv, >= 3.11),
# PYTEST_ARGS (e.g. make test PYTEST_ARGS='-k router -x').

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

VENV := .venv
BIN := $(VENV)/bin
# Reinstalls when the dependency declarations change.
STAMP := $(VENV)/.raccoon-installed
PYTEST_ARGS ?=

# The first interpreter >= 3.11 found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && \
	{ echo $$p; break; }; done)

.PHONY: run setup test lint typecheck pytest bench clean distclean

run: setup
	$(BIN)/raccoon demo

setup: $(STAMP)

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: no Python >= 3.11 found (tried python3.13, python3.12, python3.11," \
			"python3); install one or run: make PYTHON=/path/to/python3.11" >&2; \
		exit 1; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(PYTHON) is older than 3.11; run: make PYTHON=/path/to/python3.11" >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# Exit status 5 means "no tests collected": a failure in CI (a broken
# collection must not pass), only a warning for a local run with a filter.
pytest: setup
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		if [ "$${CI:-}" = true ]; then \
			echo "error: pytest collected no tests (exit status 5); failing because CI=true" >&2; \
			exit 5; \
		fi; \
		echo "warning: pytest collected no tests (exit status 5)" >&2; \
		exit 0; \
	fi; \
	exit $$status

bench: setup
	@set -e; for script in bench/[!_]*.py; do \
		echo "== $$script"; \
		$(BIN)/python $$script; \
	done

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info $(STAMP)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

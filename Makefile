# Raccoon developer tasks. `make test` is what CI runs (.ci/run).
#
#   make run        set everything up from nothing, then run the example application
#                   (raccoon run examples/safety: it prints the URL and the logins;
#                   make run RUN_ARGS='--password correct-horse' chooses the seed's
#                   password: 8 to 1024 characters)
#   make test       lint, format check, type check, client (JS) checks, tests
#   make lint       ruff check + ruff format --check
#   make typecheck  mypy
#   make jstest     client build: checker, transpile, bundle + source map, node tests
#   make bench      every bench/*.py script
#   make clean      caches and build output (distclean: also the virtualenv)
#
# Variables: PYTHON (the interpreter that creates .venv, >= 3.11),
# PYTEST_ARGS (e.g. make test PYTEST_ARGS='-k router -x'), RUN_ARGS (options of
# `raccoon run` for make run).
# Quick loop: make test PYTEST_ARGS='-m "not slow"' (skips tests marked slow; CI runs all).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

VENV := .venv
BIN := $(VENV)/bin
# Reinstalls when the dependency declarations change.
STAMP := $(VENV)/.raccoon-installed
# The npm toolchain of the client build (webpack, babel, autobahn-js), from the
# committed package-lock.json.
NPM_STAMP := node_modules/.raccoon-installed
# The browser the end-to-end tests drive (Playwright over Debian's chromium:
# Playwright's own browser download does not work here). RACCOON_CHROMIUM names
# another executable.
CHROMIUM ?= $(or $(RACCOON_CHROMIUM),/usr/bin/chromium)
BROWSER_STAMP := $(VENV)/.raccoon-chromium
JS_BUILD := js/build
PYTEST_ARGS ?=
RUN_ARGS ?=

# The first interpreter >= 3.11 found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && \
	{ echo $$p; break; }; done)

.PHONY: run setup test lint typecheck jstest pytest bench clean distclean

# The example's state (embedded PostgreSQL, router directory, client build)
# stays in examples/safety/.raccoon between runs; delete it to start over.
run: setup
	$(BIN)/raccoon run examples/safety $(RUN_ARGS)

setup: $(STAMP) $(NPM_STAMP) $(BROWSER_STAMP)

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

# node and npm are needed for the client build and its tests. Without them a
# local setup goes on with a warning (the Python side works); with CI=true it
# fails: CI never passes by skipping.
$(NPM_STAMP): package.json package-lock.json
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		if [ "$${CI:-}" = true ]; then \
			echo "error: node/npm not found; the client build needs node >= 20.6" \
				"(Debian: apt-get install nodejs npm); failing because CI=true" >&2; \
			exit 1; \
		fi; \
		echo "warning: node/npm not found: skipping the client toolchain (npm ci)" >&2; \
		exit 0; \
	fi; \
	npm ci --no-audit --no-fund && touch $@

# The end-to-end tests (tests/e2e) need a chromium. As root with apt-get it is
# installed (Debian's `chromium`); otherwise setup fails and says what to do:
# the browser tests are never skipped, locally or in CI.
$(BROWSER_STAMP): | $(BIN)/python
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium for the browser tests (apt-get)"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "error: $(CHROMIUM) not found; the browser tests (tests/e2e) need chromium:" \
				"run 'sudo apt-get install chromium' (Debian/Ubuntu), or point" \
				"RACCOON_CHROMIUM at a chromium executable" >&2; \
			exit 1; \
		fi; \
		if [ ! -x "$(CHROMIUM)" ]; then \
			echo "error: apt-get did not install $(CHROMIUM)" >&2; exit 1; \
		fi; \
	fi
	touch $@

test: setup lint typecheck jstest pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# The client: `raccoon build` runs the checker and transpiles js/raccoon (with
# the node:test runners of its *_test.py), webpack bundles it (development
# mode: production minification takes ~35 s here), the bundle's source map must
# lead back to the Python lines, then node runs the unit tests. The router
# tests (js/raccoon/tests/router) run from pytest, which starts the router.
jstest: setup
	@if [ ! -f $(NPM_STAMP) ]; then \
		if [ "$${CI:-}" = true ]; then \
			echo "error: the client toolchain is not installed; failing because CI=true" >&2; \
			exit 1; \
		fi; \
		echo "warning: node/npm missing: skipping the client checks and node tests" >&2; \
		exit 0; \
	fi; \
	$(BIN)/raccoon build --out $(JS_BUILD) --bundle raccoon --mode development && \
	node js/tools/check-sourcemap.mjs $(JS_BUILD)/dist/raccoon.bundle.js && \
	RACCOON_JS_ROOTS=$(CURDIR)/$(JS_BUILD) node --enable-source-maps \
		--import ./js/tools/register.mjs --test --test-timeout=60000 \
		$(JS_BUILD)/raccoon/tests/*.node-test.mjs $(JS_BUILD)/raccoon/tests/node/*.node-test.mjs

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
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info $(STAMP) $(JS_BUILD)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
